"""A document as the judge of recorded exchanges: would it accept this request, allow this answer?

The same approach as the sandbox's request validation and the proxy's checks: jsonschema-rs,
JSON Schema 2020-12 with formats checked, a parameter's text read as its schema's type (integer,
number, boolean, arrays split by their style), the body against its media type's schema. Bodies
that are not JSON are judged by media type only; cookie parameters are not judged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import jsonschema_rs

from contracts.evolution.document import Location, Spec
from contracts.evolution.errors import DocumentError
from contracts.evolution.expected import BodyRule, Content, ResponseRule, body_rule, response_rule, text_type
from contracts.evolution.facts import SchemaFacts
from contracts.evolution.json_schema import as_json_schema
from contracts.evolution.operations import OperationRef, Parameter, media_type, operations, parameters
from contracts.exchange import parse_json

MAX_REASON = 160  # characters of a reason
_INTEGER = re.compile(r"-?[0-9]{1,4000}", re.ASCII)
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?", re.ASCII)
_SPLIT = {"form": ",", "simple": ",", "spaceDelimited": " ", "pipeDelimited": "|"}


class _Recorded:
    """A recorded request or answer: headers (lower-case names), media type, and a body read as
    JSON once, whichever document asks first."""

    __slots__ = ("headers", "media", "body", "_json", "_parsed")

    def __init__(self, headers: Mapping[str, str], media: str | None, body: bytes | None) -> None:
        self.headers, self.media, self.body = headers, media, body
        self._json: Any = None
        self._parsed = False

    def json(self) -> Any:
        if not self._parsed:
            self._json, self._parsed = parse_json(self.body or b""), True
        return self._json


class Answer(_Recorded):
    __slots__ = ("status",)

    def __init__(
        self, status: int, headers: Mapping[str, str], media: str | None, body: bytes | None
    ) -> None:
        super().__init__(headers, media, body)
        self.status = status


class Request(_Recorded):
    __slots__ = ("method", "path", "query")

    def __init__(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: Mapping[str, str],
        body: bytes | None,
        media: str | None,
    ) -> None:
        super().__init__(headers, media, body)
        self.method, self.path, self.query = method, path, query


def _is_json(media: str) -> bool:
    kind = media_type(media)
    return kind == "application/json" or kind.endswith("+json")


def _read(text: str, kind: str) -> Any:
    """The value a parameter's text stands for, or the text when it is not of the type (refused)."""
    if kind == "integer" and _INTEGER.fullmatch(text):
        return int(text)
    if kind == "number" and _NUMBER.fullmatch(text):
        return float(text)
    if kind == "boolean" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def _first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [""])[0][:200]


def _path(parts: list[str | int]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _reason(error: jsonschema_rs.ValidationError, subject: str) -> str:
    where = _path(list(error.instance_path))
    if type(error.kind).__name__ == "Required":
        name = str(getattr(error.kind, "property", "?"))
        full = f"{where}.{name}" if where else name
        return f"`{full}` now required" + (f" ({subject})" if subject != "body" else "")
    message = error.message if len(error.message) <= MAX_REASON else error.message[:MAX_REASON] + "…"
    return f"`{where or subject}`: {message}" if where else f"{subject}: {message}"


class Judge:
    """One document's verdict on recorded requests and answers (validators compiled on first use)."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.facts = SchemaFacts(spec)
        documents = spec.documents()
        try:
            self.registry = jsonschema_rs.Registry(
                [(uri, as_json_schema(doc, spec.is_30)) for uri, doc in documents.items()]
            )
        except (jsonschema_rs.ReferencingError, ValueError) as exc:
            raise DocumentError(f"{spec.name}: its schemas cannot be compiled ({_first_line(exc)})") from None
        self._validators: dict[Location, jsonschema_rs.Validator] = {}
        self._routes: dict[str, list[tuple[re.Pattern[str], OperationRef]]] = {}
        for operation in operations(spec).values():
            pattern = re.compile(
                "^" + re.sub(r"\\\{[^}/]*\\\}", "([^/]+)", re.escape(operation.template)) + "$"
            )
            self._routes.setdefault(operation.method, []).append((pattern, operation))
        for routes in self._routes.values():
            routes.sort(key=lambda route: route[1].template.count("{"))  # literal segments first
        self._bases = _base_paths(spec.get(spec.root.child("servers")))
        self._parameters: dict[Location, dict[tuple[str, str], Parameter]] = {}
        self._bodies: dict[Location, BodyRule | None] = {}
        self._responses: dict[tuple[Location, int], ResponseRule | None] = {}

    def route(self, method: str, path: str) -> tuple[OperationRef, list[str]] | None:
        """The operation a request is, under one of the servers' base paths (or the root)."""
        routes = self._routes.get(method.upper(), [])
        for base in self._bases:
            if base and not path.startswith(base + "/"):
                continue
            rest = path[len(base) :]
            for pattern, operation in routes:
                found = pattern.match(rest)
                if found:
                    return operation, [unquote(g) for g in found.groups()]
        return None

    def validator(self, location: Location) -> jsonschema_rs.Validator:
        known = self._validators.get(location)
        if known is None:
            reference = {"$ref": f"{location.uri}#{quote(location.pointer, safe='/~')}"}
            try:
                known = jsonschema_rs.validator_for(reference, registry=self.registry, validate_formats=True)
            except (jsonschema_rs.ReferencingError, ValueError) as exc:
                raise DocumentError(
                    f"{self.spec.label(location)} cannot be compiled ({_first_line(exc)})"
                ) from None
            self._validators[location] = known
        return known

    def _problem(self, location: Location, value: Any, subject: str, explain: bool) -> str | None:
        validator = self.validator(location)
        if validator.is_valid(value):
            return None
        if not explain:
            return subject
        return _reason(next(iter(validator.iter_errors(value))), subject)

    def request_problem(
        self, operation: OperationRef, path_values: list[str], request: Request, explain: bool
    ) -> str | None:
        """None when the document accepts the request; else why not (in a few words, when `explain`)."""
        declared = self._parameters.get(operation.at)
        if declared is None:
            declared = self._parameters[operation.at] = parameters(self.spec, operation)
        for parameter in declared.values():
            problem = self._parameter(parameter, path_values, request, explain)
            if problem:
                return problem
        return self._body(operation, request, explain)

    def _parameter(
        self, parameter: Parameter, path_values: list[str], request: Request, explain: bool
    ) -> str | None:
        subject = f"{parameter.name} ({parameter.location})"
        texts: list[str] | None
        if parameter.location == "path":
            index = int(parameter.key[1]) if parameter.key[1].isdigit() else -1
            texts = [path_values[index]] if 0 <= index < len(path_values) else None
        elif parameter.location == "query":
            texts = request.query.get(parameter.name)
        elif parameter.location == "header":
            header = request.headers.get(parameter.name.lower())
            texts = None if header is None else [header]
        else:
            return None
        if texts is None:
            return f"`{parameter.name}` ({parameter.location}) now required" if parameter.required else None
        if parameter.schema is None:
            return None
        facts = self.facts.of((parameter.schema,))
        kind = text_type(facts.types)
        if kind == "object":
            return None
        if kind == "array":
            style, explode = parameter.style
            if not (explode and parameter.location == "query"):
                texts = [p for t in texts for p in t.split(_SPLIT.get(style, ","))]
            item_kind = text_type(self.facts.of(facts.items).types) if facts.items else "string"
            value: Any = [_read(t, item_kind) for t in texts]
        else:
            value = _read(texts[0], kind)
        return self._problem(parameter.schema, value, subject, explain)

    def _body(self, operation: OperationRef, request: Request, explain: bool) -> str | None:
        rule = self._body_rule(operation)
        if rule is None:
            return None
        if not request.body:
            return "a request body now required" if rule.required else None
        return self._content_problem(rule.content, request, explain)

    def _content_problem(self, content: Content, part: _Recorded, explain: bool) -> str | None:
        """A body against its media type's schema; None when it matches or is not JSON to judge."""
        sent = part.media or part.headers.get("content-type") or "application/octet-stream"
        match = content.match(sent)
        if match is None:
            return f"{media_type(sent)} bodies are not documented"
        schema = content.schemas[match]
        if schema is None or not _is_json(sent):
            return None
        value = part.json()
        if value is None:
            return "the body is not JSON"
        return self._problem(schema, value, "body", explain)

    def _body_rule(self, operation: OperationRef) -> BodyRule | None:
        if operation.at not in self._bodies:
            self._bodies[operation.at] = body_rule(self.spec, operation)
        return self._bodies[operation.at]

    def response_problem(self, operation: OperationRef, answer: Answer, explain: bool) -> str | None:
        """None when the document allows the answer; else why not."""
        key = (operation.at, answer.status)
        if key not in self._responses:
            self._responses[key] = response_rule(self.spec, self.facts, operation, answer.status)
        rule = self._responses[key]
        status = answer.status
        if rule is None:
            return f"status {status} is not documented"
        for header in rule.headers:
            value = answer.headers.get(header.name.lower())
            if value is None:
                if header.required:
                    return f"response {status}: header `{header.name}` now required"
            elif header.schema is not None:
                subject = f"response {status} header `{header.name}`"
                problem = self._problem(header.schema, _read(value, header.kind), subject, explain)
                if problem:
                    return problem
        if not answer.body or not rule.content.schemas:
            return None
        problem = self._content_problem(rule.content, answer, explain)
        return f"response {status}: {problem}" if problem else None


def _base_paths(servers: Any) -> list[str]:
    """The servers' paths, longest first, then the root (a server path with `{variables}` is skipped)."""
    bases = {""}
    for server in servers if isinstance(servers, list) else []:
        url = server.get("url") if isinstance(server, dict) else None
        if isinstance(url, str):
            path = urlsplit(url).path.rstrip("/")
            if "{" not in path:
                bases.add(path)
    return sorted(bases, key=len, reverse=True)


def request_of(
    method: str, url: str, headers: Mapping[str, str], body: bytes | None, media: str | None
) -> Request:
    split = urlsplit(url)
    query: dict[str, list[str]] = {}
    for name, value in parse_qsl(split.query, keep_blank_values=True):
        query.setdefault(name, []).append(value)
    return Request(method.upper(), split.path or "/", query, dict(headers), body, media)
