"""The operations of a document, as the comparison and the traffic replay both read them.

An operation is keyed by its method and its path template with parameter names left out
(`/batch-calls/{id}` and `/batch-calls/{batch_call_id}` are one path); a parameter by where it is
sent and its name (path parameters by position, header names in lower case).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from contracts.evolution.document import Location, Spec
from contracts.spec import HTTP_METHODS

_TEMPLATE_PARAM = re.compile(r"\{([^}/]*)\}")
# header parameters OpenAPI says to ignore: the media types and the security schemes say them
IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})


@dataclass(frozen=True, slots=True)
class OperationRef:
    method: str  # upper case
    template: str  # the path as written, e.g. /batch-calls/{batch_call_id}
    at: Location  # the operation object
    item: Location  # its path item (after any $ref)

    @property
    def key(self) -> tuple[str, str]:
        return self.method, _TEMPLATE_PARAM.sub("{}", self.template)

    @property
    def label(self) -> str:
        return f"{self.method} {self.template}"

    @property
    def path_names(self) -> list[str]:
        return _TEMPLATE_PARAM.findall(self.template)


@dataclass(frozen=True, slots=True)
class Parameter:
    key: tuple[str, str]  # (in, name) — path parameters: (path, their position)
    name: str
    location: str  # path | query | header | cookie
    required: bool
    style: tuple[str, bool]  # (style, explode), defaults filled in
    schema: Location | None
    at: Location

    @property
    def label(self) -> str:
        return f"{self.location} parameter `{self.name}`"


def operations(spec: Spec) -> dict[tuple[str, str], OperationRef]:
    """Every operation of the document, in the document's order."""
    found: dict[tuple[str, str], OperationRef] = {}
    paths = spec.value(spec.root.child("paths")) if "paths" in spec.value(spec.root) else {}
    if not isinstance(paths, dict):
        return found
    for template in paths:
        item_at, item = spec.resolve(spec.root.child("paths", template))
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            if isinstance(item.get(method), dict):
                operation = OperationRef(method.upper(), str(template), item_at.child(method), item_at)
                found.setdefault(operation.key, operation)
    return found


def parameters(spec: Spec, operation: OperationRef) -> dict[tuple[str, str], Parameter]:
    """The operation's parameters: its path item's, overridden by its own."""
    found: dict[tuple[str, str], Parameter] = {}
    names = operation.path_names
    for holder in (operation.item, operation.at):
        declared = spec.get(holder.child("parameters"))
        for index in range(len(declared) if isinstance(declared, list) else 0):
            at, raw = spec.resolve(holder.child("parameters", index))
            if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
                continue
            name, location = raw["name"], str(raw.get("in", ""))
            if location == "header" and name.lower() in IGNORED_HEADERS:
                continue
            key = (location, str(names.index(name)) if location == "path" and name in names else name)
            if location == "header":
                key = (location, name.lower())
            style = str(raw.get("style") or ("form" if location in ("query", "cookie") else "simple"))
            explode = raw.get("explode", style == "form") is True
            found[key] = Parameter(
                key,
                name,
                location,
                location == "path" or raw.get("required") is True,
                (style, explode),
                _parameter_schema(spec, at, raw),
                at,
            )
    return found


def _parameter_schema(spec: Spec, at: Location, raw: dict[str, Any]) -> Location | None:
    if "schema" in raw:
        return at.child("schema")
    content = raw.get("content")
    if isinstance(content, dict) and content:
        media = next(iter(content))
        if isinstance(content[media], dict) and "schema" in content[media]:
            return at.child("content", media, "schema")
    return None


def media_type(value: str) -> str:
    """`application/json; charset=utf-8` → `application/json`."""
    return value.split(";", 1)[0].strip().lower()


def match_media(wanted: str, offered: list[str]) -> str | None:
    """The entry of `offered` (a content map's keys) that covers `wanted`: exact, `type/*`, `*/*`."""
    normal = {media_type(o): o for o in offered}
    wanted = media_type(wanted)
    for candidate in (wanted, wanted.split("/", 1)[0] + "/*", "*/*"):
        if candidate in normal:
            return normal[candidate]
    return None


def response_key(statuses: list[str], status: str) -> str | None:
    """The documented response for a status: exact, then its range (`4XX`), then `default`."""
    by_upper = {s.upper(): s for s in statuses}
    for candidate in (status.upper(), f"{status[:1]}XX", "DEFAULT"):
        if candidate in by_upper and (candidate != f"{status[:1]}XX" or status.isdigit()):
            return by_upper[candidate]
    return None


def content(spec: Spec, holder: Location) -> dict[str, Location]:
    """media type (as written) → the location of its media type object, for a body or a response."""
    raw = spec.get(holder.child("content"))
    return {str(m): holder.child("content", m) for m in raw} if isinstance(raw, dict) else {}


def schema_of(spec: Spec, media: Location) -> Location | None:
    raw = spec.get(media)
    return media.child("schema") if isinstance(raw, dict) and "schema" in raw else None
