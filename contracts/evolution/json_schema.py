"""An OpenAPI document's schemas as JSON Schema 2020-12, for the validators of the traffic replay.

3.1 schemas are JSON Schema already; 3.0 ones are not quite: `nullable: true` becomes a `null` in
`type` (and in `enum`), a boolean `exclusiveMaximum`/`exclusiveMinimum` becomes the numeric form.
OpenAPI's integer formats become ranges, as the sandbox reads them. Every object of the document is
converted, schema or not: the validators only ever look at schemas.
"""

from __future__ import annotations

from typing import Any

from contracts.integer_formats import with_integer_range


def as_json_schema(value: Any, is_30: bool) -> Any:
    if isinstance(value, list):
        return [as_json_schema(item, is_30) for item in value]
    if not isinstance(value, dict):
        return value
    node = {key: as_json_schema(item, is_30) for key, item in value.items()}
    if is_30:
        node = _from_30(node)
    return with_integer_range(node)


def _from_30(node: dict[str, Any]) -> dict[str, Any]:
    for exclusive, bound in (("exclusiveMaximum", "maximum"), ("exclusiveMinimum", "minimum")):
        flag = node.get(exclusive)
        if isinstance(flag, bool):
            del node[exclusive]
            if flag and bound in node:
                node[exclusive] = node.pop(bound)
    if node.get("nullable") is not True:
        return node
    if isinstance(node.get("enum"), list) and None not in node["enum"]:
        node["enum"] = [*node["enum"], None]
    if isinstance(node.get("type"), str):
        node["type"] = [node["type"], "null"]
        return node
    if "type" not in node and ("allOf" in node or "oneOf" in node or "anyOf" in node):
        return {"anyOf": [{"type": "null"}, {k: v for k, v in node.items() if k != "nullable"}]}
    return node
