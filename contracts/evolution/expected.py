"""What a document expects of one operation's body and answers, read once per operation and status
(the traffic replay judges every exchange against these, not against the document's tree)."""

from __future__ import annotations

from dataclasses import dataclass, field

from contracts.evolution.document import Location, Spec
from contracts.evolution.facts import SchemaFacts
from contracts.evolution.operations import OperationRef, content, match_media, response_key, schema_of


@dataclass(slots=True)
class Content:
    """A content map: media type as written → its schema (None: no schema); matches are cached."""

    schemas: dict[str, Location | None]
    _matches: dict[str, str | None] = field(default_factory=dict)

    def match(self, sent: str) -> str | None:
        if sent not in self._matches:
            if len(self._matches) > 1000:  # media types come from recorded traffic: bounded
                self._matches.clear()
            self._matches[sent] = match_media(sent, list(self.schemas))
        return self._matches[sent]


@dataclass(frozen=True, slots=True)
class BodyRule:
    required: bool
    content: Content


@dataclass(frozen=True, slots=True)
class HeaderRule:
    name: str  # as documented
    required: bool
    schema: Location | None
    kind: str  # how its text is read: integer | number | boolean | array | object | string


@dataclass(frozen=True, slots=True)
class ResponseRule:
    headers: tuple[HeaderRule, ...]
    content: Content


def text_type(types: frozenset[str] | None) -> str:
    """The JSON type a parameter's or header's text is read as."""
    for kind in ("array", "integer", "number", "boolean", "object"):
        if types is not None and kind in types:
            return kind
    return "string"


def _content(spec: Spec, holder: Location) -> Content:
    return Content({media: schema_of(spec, at) for media, at in content(spec, holder).items()})


def body_rule(spec: Spec, operation: OperationRef) -> BodyRule | None:
    if "requestBody" not in spec.value(operation.at):
        return None
    at, raw = spec.resolve(operation.at.child("requestBody"))
    return BodyRule(isinstance(raw, dict) and raw.get("required") is True, _content(spec, at))


def response_rule(
    spec: Spec, facts: SchemaFacts, operation: OperationRef, status: int
) -> ResponseRule | None:
    """None: the status is not documented (not even by a range or `default`)."""
    statuses = spec.get(operation.at.child("responses"))
    key = response_key([str(s) for s in statuses], str(status)) if isinstance(statuses, dict) else None
    if key is None:
        return None
    at, _ = spec.resolve(operation.at.child("responses", key))
    headers = []
    for name in spec.mapping(at.child("headers")):
        if str(name).lower() == "content-type":
            continue
        header_at, raw = spec.resolve(at.child("headers", name))
        if not isinstance(raw, dict):
            continue
        schema = header_at.child("schema") if "schema" in raw else None
        kind = text_type(facts.of((schema,)).types) if schema is not None else "string"
        headers.append(HeaderRule(str(name), raw.get("required") is True, schema, kind))
    return ResponseRule(tuple(headers), _content(spec, at))
