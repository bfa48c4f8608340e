"""Walking an OpenAPI document: $ref resolution and every example with the schema it must obey.

Shared by the document tests of openapi.json, openapi.zudu.json and openapi.control.json (tests/spec/).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# The reusable error responses both contracts define, by status: operations $ref these.
ERROR_COMPONENTS = {
    "400": "BadRequest",
    "401": "Unauthorized",
    "404": "NotFound",
    "409": "Conflict",
    "413": "PayloadTooLarge",
    "415": "UnsupportedMediaType",
    "422": "UnprocessableEntity",
    "429": "TooManyRequests",
    "500": "InternalError",
    "503": "ServiceUnavailable",
}

# Keywords whose value is a single subschema / a map of subschemas / a list of subschemas.
SUBSCHEMA_SINGLE = (
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
)
SUBSCHEMA_MAP = ("properties", "patternProperties", "$defs", "dependentSchemas")
SUBSCHEMA_LIST = ("allOf", "anyOf", "oneOf", "prefixItems")

Example = tuple[str, str, Any]  # (where, schema pointer, value)


def registry_for(spec: dict[str, Any], doc_uri: str) -> Registry:
    return Registry().with_resource(doc_uri, Resource(contents=spec, specification=DRAFT202012))


def pointer(*segments: object) -> str:
    return "".join("/" + str(s).replace("~", "~0").replace("/", "~1") for s in segments)


def ref_to(ptr: str, doc_uri: str) -> dict[str, str]:
    return {"$ref": doc_uri + "#" + quote(ptr, safe="/~")}


def resolve(registry: Registry, node: Any, doc_uri: str) -> Any:
    """Follow (possibly chained) OpenAPI $refs with the referencing resolver."""
    resolver = registry.resolver(base_uri=doc_uri)
    while isinstance(node, dict) and "$ref" in node:
        resolved = resolver.lookup(node["$ref"])
        node, resolver = resolved.contents, resolved.resolver
    return node


def validator_for(registry: Registry, schema_ptr: str, doc_uri: str) -> Draft202012Validator:
    return Draft202012Validator(
        ref_to(schema_ptr, doc_uri), registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def iter_operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield method, path, item[method]


def collect_schema_examples(schema: Any, ptr: str) -> Iterator[Example]:
    """`example`/`examples` of a schema and its subschemas."""
    if not isinstance(schema, dict):
        return
    if "example" in schema:
        yield ptr + "/example", ptr, schema["example"]
    if isinstance(schema.get("examples"), list):
        for i, value in enumerate(schema["examples"]):
            yield f"{ptr}/examples/{i}", ptr, value
    for key in SUBSCHEMA_SINGLE:
        if isinstance(schema.get(key), dict):
            yield from collect_schema_examples(schema[key], ptr + pointer(key))
    for key in SUBSCHEMA_MAP:
        for name, sub in (schema.get(key) or {}).items():
            yield from collect_schema_examples(sub, ptr + pointer(key, name))
    for key in SUBSCHEMA_LIST:
        for i, sub in enumerate(schema.get(key) or []):
            yield from collect_schema_examples(sub, ptr + pointer(key, i))


def collect_holder_examples(holder: Any, ptr: str, registry: Registry, doc_uri: str) -> Iterator[Example]:
    """Examples of an object carrying `schema` plus `example`/`examples` (media type, parameter,
    header), validated against that `schema`; plus the examples inside the schema itself."""
    if not isinstance(holder, dict) or "$ref" in holder or "schema" not in holder:
        return
    schema_ptr = ptr + "/schema"
    yield from collect_schema_examples(holder["schema"], schema_ptr)
    if "example" in holder:
        yield ptr + "/example", schema_ptr, holder["example"]
    for name, example in (holder.get("examples") or {}).items():
        example = resolve(registry, example, doc_uri)
        assert "value" in example, f"{ptr}/examples/{name} has no inline value"
        yield f"{ptr}/examples/{name}", schema_ptr, example["value"]


def collect_all_examples(spec: dict[str, Any], registry: Registry, doc_uri: str) -> Iterator[Example]:
    comps = spec.get("components", {})

    def holder(h: Any, ptr: str) -> Iterator[Example]:
        return collect_holder_examples(h, ptr, registry, doc_uri)

    for name, schema in comps.get("schemas", {}).items():
        yield from collect_schema_examples(schema, pointer("components", "schemas", name))
    for name, param in comps.get("parameters", {}).items():
        yield from holder(param, pointer("components", "parameters", name))
    for name, header in comps.get("headers", {}).items():
        yield from holder(header, pointer("components", "headers", name))
    for name, body in comps.get("requestBodies", {}).items():
        for mt, media in body.get("content", {}).items():
            yield from holder(media, pointer("components", "requestBodies", name, "content", mt))

    def responses(resps: dict[str, Any], base: str) -> Iterator[Example]:
        for code, resp in resps.items():
            if "$ref" in resp:
                continue
            for hname, header in (resp.get("headers") or {}).items():
                yield from holder(header, base + pointer(code, "headers", hname))
            for mt, media in (resp.get("content") or {}).items():
                yield from holder(media, base + pointer(code, "content", mt))

    yield from responses(comps.get("responses", {}), pointer("components", "responses"))
    for path, item in spec["paths"].items():
        for i, param in enumerate(item.get("parameters", [])):
            yield from holder(param, pointer("paths", path, "parameters", i))
        for method in HTTP_METHODS:
            if method not in item:
                continue
            op = item[method]
            base = pointer("paths", path, method)
            for i, param in enumerate(op.get("parameters", [])):
                yield from holder(param, base + pointer("parameters", i))
            body = op.get("requestBody")
            if body and "$ref" not in body:
                for mt, media in body.get("content", {}).items():
                    yield from holder(media, base + pointer("requestBody", "content", mt))
            yield from responses(op.get("responses", {}), base + "/responses")


def example_failures(spec: dict[str, Any], registry: Registry, doc_uri: str) -> tuple[int, list[str]]:
    """How many examples the document has, and every way one breaks its schema."""
    examples = list(collect_all_examples(spec, registry, doc_uri))
    failures = []
    for where, schema_ptr, value in examples:
        for error in validator_for(registry, schema_ptr, doc_uri).iter_errors(value):
            failures.append(f"{where}: {'/'.join(map(str, error.absolute_path))}: {error.message}")
    return len(examples), failures
