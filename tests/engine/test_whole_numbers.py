"""Where a schema says integer, and what normalising a body through it changes."""

from __future__ import annotations

from typing import Any

from mock_server.engine.whole_numbers import integer_shape

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "count": {"type": "integer"},
        "ratio": {"type": "number"},
        "maybe": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        "days": {"type": "array", "items": {"type": "integer"}},
        "tasks": {"type": "array", "items": {"allOf": [{"properties": {"retries": {"type": "integer"}}}]}},
        "vars": {"type": "object", "additionalProperties": {"type": ["integer", "string"]}},
        "name": {"type": "string"},
    },
}


def test_whole_number_floats_become_ints_only_where_the_schema_says_integer() -> None:
    shape = integer_shape(SCHEMA)
    assert shape is not None
    body = {"count": 3.0, "ratio": 2.0, "maybe": 4.0, "days": [1.0, 2], "tasks": [{"retries": 1.0}],
            "vars": {"a": 5.0, "b": "x"}, "name": "n", "other": 6.0}
    out = shape.normalise(body)
    assert out == {"count": 3, "ratio": 2.0, "maybe": 4, "days": [1, 2], "tasks": [{"retries": 1}],
                   "vars": {"a": 5, "b": "x"}, "name": "n", "other": 6.0}
    assert [type(out[k]) for k in ("count", "ratio", "maybe", "other")] == [int, float, int, float]
    assert type(out["days"][0]) is int and type(out["tasks"][0]["retries"]) is int
    assert type(out["vars"]["a"]) is int


def test_fractions_stay_and_a_schema_without_integers_has_no_shape() -> None:
    shape = integer_shape(SCHEMA)
    assert shape is not None and shape.normalise({"count": 2.5}) == {"count": 2.5}
    assert integer_shape({"type": "object", "properties": {"name": {"type": "string"}}}) is None
