"""What OpenAPI's integer formats allow, as JSON Schema bounds.

JSON Schema knows no `format: int32`; OpenAPI means by it a value in the 32-bit range. The sandbox's
validators (`mock_server/engine/spec.py`) and the diff's replay (`evolution/json_schema.py`) both read
a schema that way, through this one module. It lives in the kit because the sandbox may import the
kit and the kit never imports the sandbox; it imports the standard library only.
"""

from __future__ import annotations

from typing import Any

INTEGER_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def with_integer_range(node: dict[str, Any]) -> dict[str, Any]:
    """`node` (a schema object, changed in place) with the range its integer format implies as
    `minimum` and `maximum`, where it states none of its own."""
    bounds = INTEGER_RANGES.get(str(node.get("format")))
    declared = node.get("type")
    if bounds and (declared == "integer" or (isinstance(declared, list) and "integer" in declared)):
        node.setdefault("minimum", bounds[0])
        node.setdefault("maximum", bounds[1])
    return node
