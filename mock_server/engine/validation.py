"""Request validation against the compiled operation: every violation, in HTTPValidationError terms."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import jsonschema_rs

from mock_server.core.errors import Violation
from mock_server.engine.spec import Operation, Parameter, compile_schema

# jsonschema keyword kind -> the `type` clients know from pydantic/FastAPI-style APIs
_KIND_TYPES = {
    "MinLength": "string_too_short",
    "MaxLength": "string_too_long",
    "Minimum": "greater_than_equal",
    "ExclusiveMinimum": "greater_than",
    "Maximum": "less_than_equal",
    "ExclusiveMaximum": "less_than",
    "MinItems": "too_short",
    "MaxItems": "too_long",
    "UniqueItems": "unique_items",
    "Enum": "enum",
    "Constant": "literal_error",
    "Pattern": "string_pattern_mismatch",
    "Format": "format_error",
}
# Python's int() and float() also read `١`, `１`, `1_0`, `+5` and spaces: the wire takes ASCII only
# (at most 4,000 digits: int() refuses more than 4,300, and every integer parameter is bounded)
_INTEGER_TEXT = re.compile(r"-?[0-9]{1,4000}", re.ASCII)
_NUMBER_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?", re.ASCII)
_TYPE_NAMES = {
    "integer": "int_type",
    "number": "float_type",
    "string": "string_type",
    "boolean": "bool_type",
    "array": "list_type",
    "object": "dict_type",
}


def schema_violations(
    validator: jsonschema_rs.Validator, instance: Any, root: tuple[str | int, ...]
) -> list[Violation]:
    if validator.is_valid(instance):
        return []
    try:
        errors = list(validator.iter_errors(instance))
    except ValueError as exc:  # jsonschema_rs's recursion limit, describing an error deep in the instance
        if "Recursion limit" not in str(exc):
            raise
        # (no schema of the specs nests: whatever nests this deep is invalid where it starts)
        message = "Input nests too deeply to be checked (no field of this body nests)"
        return [Violation(root, message, "value_error")]
    violations = []
    for error in errors:
        kind = type(error.kind).__name__
        loc = (*root, *error.instance_path)
        if kind == "Required":
            violations.append(
                Violation((*loc, str(getattr(error.kind, "property", ""))), "Field required", "missing")
            )
            continue
        if kind == "Type":
            wanted = [t for t in _as_list(getattr(error.kind, "types", [])) if t != "null"] or ["null"]
            error_type = _TYPE_NAMES.get(wanted[0], "type_error")
        else:
            error_type = _KIND_TYPES.get(kind, "value_error")
        violations.append(Violation(loc, error.message, error_type))
    return violations


def instance_check(
    schema: Mapping[str, Any],
) -> Callable[[Mapping[str, Any], tuple[str | int, ...]], list[Violation]]:
    """A check of values that reach a handler other than as JSON (a CSV row) by a spec's schema:
    the same rules, messages and types as the JSON it stands for."""
    validator = compile_schema(schema)

    def check(instance: Mapping[str, Any], root: tuple[str | int, ...]) -> list[Violation]:
        return schema_violations(validator, instance, root)

    return check


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def _coerce(param: Parameter, raw: str) -> tuple[Any, Violation | None]:
    """Query, path and header values arrive as text: read them as their schema's type."""
    kind = param.text_type
    if kind == "string":
        return raw, None
    loc = (param.location, param.name)
    if kind == "integer":
        if _INTEGER_TEXT.fullmatch(raw):
            return int(raw), None
        return raw, Violation(loc, "Input should be a valid integer", "int_parsing")
    if kind == "number":
        if _NUMBER_TEXT.fullmatch(raw) and math.isfinite(float(raw)):
            return float(raw), None
        return raw, Violation(loc, "Input should be a valid number", "float_parsing")
    if kind == "boolean":
        lowered = raw.lower()
        if lowered in ("true", "false"):
            return lowered == "true", None
        return raw, Violation(loc, "Input should be a valid boolean", "bool_parsing")
    return raw, None


_NO_COOKIES: Mapping[str, str] = {}  # cookie parameters are never read


def read_parameters(
    operation: Operation,
    path_params: Mapping[str, str],
    query: Mapping[str, str],
    headers: Mapping[str, str],
) -> tuple[dict[str, Any], list[Violation]]:
    """Typed values of every declared parameter (defaults applied), and every violation."""
    values: dict[str, Any] = {}
    violations: list[Violation] = []
    for param in operation.parameters:
        location = param.location
        source = (
            path_params if location == "path" else query if location == "query"
            else headers if location == "header" else _NO_COOKIES
        )
        raw = source.get(param.wire_name)
        if raw is None:
            if param.required:
                violations.append(Violation((param.location, param.name), "Field required", "missing"))
            elif "default" in param.schema:
                values[param.name] = param.schema["default"]
            continue
        value, problem = _coerce(param, raw)
        if problem is not None:
            violations.append(problem)
            continue
        found = schema_violations(param.validator, value, (param.location, param.name))
        violations.extend(found)
        if not found:
            values[param.name] = value
    return values, violations


MAX_VIOLATIONS = 100  # listed in an answer; the count says how many there were
MAX_MESSAGE = 300  # characters of a violation's message: a 1 MB input is not echoed back


def bounded_violations(violations: list[Violation]) -> tuple[list[dict[str, Any]], int]:
    """The first violations as JSON, each message cut short, and how many there were in all."""
    shown = [
        {"loc": list(v.loc), "msg": v.msg if len(v.msg) <= MAX_MESSAGE else v.msg[:MAX_MESSAGE] + "…",
         "type": v.type}
        for v in violations[:MAX_VIOLATIONS]
    ]
    return shown, len(violations)
