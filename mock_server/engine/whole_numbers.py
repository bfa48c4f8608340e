"""Whole-number floats where a request schema says integer (`3.0`) become the integer (`3`).

JSON Schema counts `3.0` as an integer, so the validators accept it; the handlers and the core
must still only ever see `int` there (a float would be stored, echoed as `3.0`, and break the
planner's arithmetic later). One mechanism for every integer field of every spec: at spec load
each JSON request schema is read into an `IntegerShape` (where, in an instance, the schema allows
an integer), and a validated body is normalised through it before any handler runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_COMBINATORS = ("allOf", "anyOf", "oneOf")


@dataclass(slots=True)
class IntegerShape:
    """Where a schema allows integers: here, in named properties, in other properties, in items."""

    integer: bool = False
    properties: dict[str, IntegerShape] = field(default_factory=dict)
    additional: IntegerShape | None = None
    items: IntegerShape | None = None

    def empty(self) -> bool:
        return not (self.integer or self.properties or self.additional or self.items)

    def normalise(self, value: Any) -> Any:
        """`value` with every whole-number float this shape marks as integer made an `int`."""
        if type(value) is float:
            return int(value) if self.integer and value.is_integer() else value
        if isinstance(value, dict):
            for key, item in value.items():
                shape = self.properties.get(key, self.additional)
                if shape is not None:
                    value[key] = shape.normalise(item)
        elif isinstance(value, list) and self.items is not None:
            value[:] = [self.items.normalise(item) for item in value]
        return value


def integer_shape(schema: Any) -> IntegerShape | None:
    """The shape of a (dereferenced) schema, or None when it allows no integer anywhere."""
    shape = _shape(schema, set())
    return None if shape.empty() else shape


def _shape(schema: Any, seen: set[int]) -> IntegerShape:
    shape = IntegerShape()
    if not isinstance(schema, Mapping) or id(schema) in seen:  # a cycle adds nothing new
        return shape
    seen = seen | {id(schema)}
    types = schema.get("type")
    shape.integer = types == "integer" or (isinstance(types, list) and "integer" in types)
    for name, sub in (schema.get("properties") or {}).items():
        _keep(shape.properties, name, _shape(sub, seen))
    if isinstance(schema.get("additionalProperties"), Mapping):
        shape.additional = _merged(shape.additional, _shape(schema["additionalProperties"], seen))
    if isinstance(schema.get("items"), Mapping):
        shape.items = _merged(shape.items, _shape(schema["items"], seen))
    for keyword in _COMBINATORS:
        for branch in schema.get(keyword) or ():
            _merge_into(shape, _shape(branch, seen))
    return shape


def _keep(properties: dict[str, IntegerShape], name: str, shape: IntegerShape) -> None:
    if not shape.empty():
        properties[name] = _merged(properties.get(name), shape) or shape


def _merged(old: IntegerShape | None, new: IntegerShape) -> IntegerShape | None:
    if new.empty():
        return old
    if old is None:
        return new
    _merge_into(old, new)
    return old


def _merge_into(target: IntegerShape, other: IntegerShape) -> None:
    """A branch of allOf/anyOf/oneOf: an integer in any branch counts (the body is already valid)."""
    target.integer = target.integer or other.integer
    for name, sub in other.properties.items():
        _keep(target.properties, name, sub)
    if other.additional is not None:
        target.additional = _merged(target.additional, other.additional)
    if other.items is not None:
        target.items = _merged(target.items, other.items)
