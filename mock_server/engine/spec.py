"""Load an OpenAPI 3.1 document once into an operation table with compiled validators."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import jsonschema_rs

from contracts.integer_formats import with_integer_range
from mock_server.engine.whole_numbers import IntegerShape, integer_shape

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


# OpenAPI's integer formats are ranges (signed 32 and 64 bits); JSON Schema alone ignores them
def _with_integer_ranges(node: Any) -> Any:
    """A copy of the schema where `format: int32|int64` on an integer also bounds its value."""
    if isinstance(node, list):
        return [_with_integer_ranges(item) for item in node]
    if not isinstance(node, dict):
        return node
    return with_integer_range({key: _with_integer_ranges(value) for key, value in node.items()})


def compile_schema(schema: Mapping[str, Any]) -> jsonschema_rs.Validator:
    return jsonschema_rs.Draft202012Validator(_with_integer_ranges(dict(schema)), validate_formats=True)


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    location: str  # path | query | header
    required: bool
    schema: Mapping[str, Any]
    validator: jsonschema_rs.Validator
    wire_name: str  # headers are matched case-insensitively: they arrive lower-cased
    text_type: str  # how its text is read: integer | number | boolean | string


@dataclass(frozen=True, slots=True)
class RequestBody:
    required: bool
    # media type -> validator (None for bodies that are not JSON, such as text/csv)
    media_types: Mapping[str, jsonschema_rs.Validator | None]
    # media type -> where its schema says integer (absent when nowhere)
    integers: Mapping[str, IntegerShape] = field(default_factory=dict)

    def normalise(self, media_type: str, body: Any) -> Any:
        """A validated body with whole-number floats made integers where the schema says integer."""
        shape = self.integers.get(media_type)
        return body if shape is None else shape.normalise(body)


@dataclass(frozen=True, slots=True)
class ResponseSpec:
    status: str
    description: str
    content: Mapping[str, Any]  # media type -> media type object (schema, example, examples)
    headers: Mapping[str, Any]

    def first_example(self) -> Any | None:
        for media in self.content.values():
            if "example" in media:
                return media["example"]
            for example in media.get("examples", {}).values():
                if "value" in example:
                    return example["value"]
        return None


@dataclass(frozen=True, slots=True)
class Operation:
    operation_id: str
    method: str  # upper case
    path: str  # template relative to the base path, e.g. /batch-calls/{batch_call_id}
    tags: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    body: RequestBody | None
    responses: Mapping[str, ResponseSpec]
    secured: bool

    def response_for(self, status: int) -> ResponseSpec | None:
        return self.responses.get(str(status)) or self.responses.get(f"{str(status)[0]}XX")


@dataclass(frozen=True, slots=True)
class Spec:
    source: bytes  # the document as read, served as it is: the copy served is the copy enforced
    document: Mapping[str, Any]  # dereferenced: every $ref inlined
    base_path: str
    operations: tuple[Operation, ...]
    by_id: Mapping[str, Operation] = field(repr=False)

    def paths(self) -> dict[str, list[Operation]]:
        """Operations grouped by path template, in document order."""
        grouped: dict[str, list[Operation]] = {}
        for op in self.operations:
            grouped.setdefault(op.path, []).append(op)
        return grouped


def _parameter(raw: Mapping[str, Any]) -> Parameter:
    schema = raw.get("schema", {})
    return Parameter(
        name=raw["name"],
        location=raw["in"],
        required=bool(raw.get("required", raw["in"] == "path")),
        schema=schema,
        validator=compile_schema(schema),
        wire_name=raw["name"].lower() if raw["in"] == "header" else raw["name"],
        text_type=_text_type(schema.get("type", "string")),
    )


def _text_type(declared: Any) -> str:
    """The type a parameter's text is read as: the first of integer, number, boolean it allows."""
    types = declared if isinstance(declared, list) else [declared]
    return next((t for t in ("integer", "number", "boolean") if t in types), "string")


def _request_body(raw: Mapping[str, Any] | None) -> RequestBody | None:
    if raw is None:
        return None
    media_types: dict[str, jsonschema_rs.Validator | None] = {}
    integers: dict[str, IntegerShape] = {}
    for media_type, media in raw.get("content", {}).items():
        is_json = media_type == "application/json" or media_type.endswith("+json")
        media_types[media_type] = compile_schema(media.get("schema", {})) if is_json else None
        shape = integer_shape(media.get("schema", {})) if is_json else None
        if shape is not None:
            integers[media_type] = shape
    return RequestBody(
        required=bool(raw.get("required", False)), media_types=media_types, integers=integers
    )


def _operation(
    path: str, method: str, raw: Mapping[str, Any], path_item: Mapping[str, Any], default_security: Any
) -> Operation:
    merged: dict[tuple[str, str], Mapping[str, Any]] = {}
    for param in [*path_item.get("parameters", []), *raw.get("parameters", [])]:
        merged[(param["name"], param["in"])] = param
    responses = {
        status: ResponseSpec(
            status=status,
            description=resp.get("description", ""),
            content=resp.get("content", {}),
            headers=resp.get("headers", {}),
        )
        for status, resp in raw.get("responses", {}).items()
    }
    security = raw.get("security", default_security)
    return Operation(
        operation_id=raw["operationId"],
        method=method.upper(),
        path=path,
        tags=tuple(raw.get("tags", ())),
        parameters=tuple(_parameter(p) for p in merged.values()),
        body=_request_body(raw.get("requestBody")),
        responses=responses,
        secured=bool(security),
    )


def load_spec(path: Path) -> Spec:
    """The document at `path`, compiled. Compiled once per content in a process: apps built from
    the same file share one `Spec` (the pytest fixture builds one app per test, and dereferencing
    was 85 % of building one). A `Spec` is never changed once loaded."""
    return _compiled(path.read_bytes())


@functools.lru_cache(maxsize=8)  # the documents a process serves: the two APIs' and the control API's
def _compiled(source: bytes) -> Spec:
    raw = json.loads(source.decode("utf-8"))
    document = jsonschema_rs.dereference(raw)
    servers = document.get("servers") or [{"url": "/"}]
    base_path = urlparse(servers[0]["url"]).path.rstrip("/")
    operations = tuple(
        _operation(p, method, op, item, document.get("security"))
        for p, item in document.get("paths", {}).items()
        for method, op in item.items()
        if method in HTTP_METHODS
    )
    return Spec(
        source=source,
        document=document,
        base_path=base_path,
        operations=operations,
        by_id={op.operation_id: op for op in operations},
    )
