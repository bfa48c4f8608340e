"""Schema comparison: 3.0 and 3.1 alike, $ref (local and relative files), recursion, allOf/oneOf/anyOf,
readOnly/writeOnly, and each constraint narrowed or widened on either side."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from diff.documents import Doc, body_operation, document, rules, save, spec_of

from contracts.evolution.compare import compare
from contracts.evolution.errors import DocumentError
from contracts.evolution.rules import Change
from contracts.evolution.walk import Budget

Changes = Callable[[Doc, Doc], list[Change]]


def request(schema: Doc, version: str = "3.1.0") -> Doc:
    return document(version, paths=body_operation(request=schema))


def response(schema: Doc, version: str = "3.1.0") -> Doc:
    return document(version, paths=body_operation(response=schema))


def obj(**properties: Any) -> Doc:
    return {"type": "object", "properties": properties}


def test_nullable_in_30_and_type_arrays_in_31_are_one_thing(changes: Changes) -> None:
    as_30 = request(obj(v={"type": "string", "nullable": True}), "3.0.3")
    as_31 = request(obj(v={"type": ["string", "null"]}))
    as_any_of = request(obj(v={"anyOf": [{"type": "string"}, {"type": "null"}]}))
    assert changes(as_30, as_31) == [] and changes(as_31, as_any_of) == []
    assert rules(changes(as_30, request(obj(v={"type": "string"}), "3.0.3"))) == [
        "request-became-non-nullable"
    ]
    assert rules(changes(as_31, request(obj(v={"type": "string"})))) == ["request-became-non-nullable"]
    assert rules(
        changes(response(obj(v={"type": "string"}), "3.0.3"), response(obj(v={"type": ["string", "null"]})))
    ) == ["response-became-nullable"]


def test_exclusive_bounds_in_30_and_31_are_one_thing(changes: Changes) -> None:
    old = request(obj(n={"type": "number", "minimum": 0, "exclusiveMinimum": True}), "3.0.3")
    same = request(obj(n={"type": "number", "exclusiveMinimum": 0}))
    assert changes(old, same) == []
    found = changes(request(obj(n={"type": "number", "minimum": 0})), same)
    assert rules(found) == ["request-minimum-narrowed"]
    assert "minimum 0 → exclusiveMinimum 0" in found[0].message


@pytest.mark.parametrize(
    ("before", "after", "request_rule", "response_rule"),
    [
        ({"maxLength": 10}, {"maxLength": 5}, "request-max-length-narrowed", "response-max-length-narrowed"),
        ({"maxLength": 10}, {}, "request-max-length-widened", "response-max-length-widened"),
        ({"minLength": 1}, {"minLength": 2}, "request-min-length-narrowed", "response-min-length-narrowed"),
        ({}, {"pattern": "^a"}, "request-pattern-added", "response-pattern-added"),
        ({"pattern": "^a"}, {"pattern": "^b"}, "request-pattern-changed", "response-pattern-changed"),
        ({}, {"format": "email"}, "request-format-added", "response-format-added"),
        ({"enum": ["a", "b"]}, {"enum": ["a"]}, "request-enum-narrowed", "response-enum-narrowed"),
        ({"enum": ["a"]}, {"enum": ["a", "b"]}, "request-enum-widened", "response-enum-widened"),
        ({"const": "a"}, {"enum": ["a", "b"]}, "request-enum-widened", "response-enum-widened"),
        ({"default": "a"}, {"default": "b"}, "request-default-changed", "response-default-changed"),
    ],
)
def test_string_constraints(
    changes: Changes, before: Doc, after: Doc, request_rule: str, response_rule: str
) -> None:
    old, new = {"type": "string", **before}, {"type": "string", **after}
    assert rules(changes(request(obj(s=old)), request(obj(s=new)))) == [request_rule]
    assert rules(changes(response(obj(s=old)), response(obj(s=new)))) == [response_rule]


@pytest.mark.parametrize(
    ("before", "after", "rule"),
    [
        ({"type": "number"}, {"type": "integer"}, "request-type-narrowed"),
        ({"type": "integer"}, {"type": "number"}, "request-type-widened"),
        ({"type": "integer"}, {"type": "string"}, "request-type-changed"),
        ({"type": "integer", "maximum": 10}, {"type": "integer", "maximum": 9}, "request-maximum-narrowed"),
        (
            {"type": "integer", "multipleOf": 2},
            {"type": "integer", "multipleOf": 4},
            "request-multiple-of-narrowed",
        ),
        (
            {"type": "integer", "multipleOf": 2},
            {"type": "integer", "multipleOf": 3},
            "request-multiple-of-changed",
        ),
        ({"type": "array"}, {"type": "array", "uniqueItems": True}, "request-unique-items-added"),
        ({"type": "array", "maxItems": 3}, {"type": "array", "maxItems": 2}, "request-max-items-narrowed"),
        (
            {"type": "object"},
            {"type": "object", "additionalProperties": False},
            "request-additional-properties-forbidden",
        ),
    ],
)
def test_request_constraints(changes: Changes, before: Doc, after: Doc, rule: str) -> None:
    assert rules(changes(request(obj(v=before)), request(obj(v=after)))) == [rule]


def test_required_and_optional_properties_on_both_sides(changes: Changes) -> None:
    optional, required = obj(a={"type": "string"}), {**obj(a={"type": "string"}), "required": ["a"]}
    assert rules(changes(request(optional), request(required))) == ["request-property-became-required"]
    assert rules(changes(request(required), request(optional))) == ["request-property-became-optional"]
    assert rules(changes(response(required), response(optional))) == ["response-property-became-optional"]
    assert rules(changes(response(optional), response(required))) == ["response-property-became-required"]
    assert rules(changes(response(required), response(obj()))) == ["response-required-property-removed"]
    assert rules(changes(response(optional), response(obj()))) == ["response-optional-property-removed"]
    assert rules(changes(request(obj()), request(required))) == ["request-property-added-required"]
    closed = {**obj(), "additionalProperties": False}
    assert rules(changes(request({**optional, "additionalProperties": False}), request(closed))) == [
        "request-property-removed-refused"
    ]


def test_read_only_properties_are_not_sent_and_write_only_ones_not_answered(changes: Changes) -> None:
    old = obj(id={"type": "string", "readOnly": True}, secret={"type": "string", "writeOnly": True})
    assert changes(request(old), request(obj(secret={"type": "string", "writeOnly": True}))) == []
    assert changes(response(old), response(obj(id={"type": "string", "readOnly": True}))) == []


def test_refs_and_allof_are_followed(changes: Changes) -> None:
    schemas = {
        "Base": obj(name={"type": "string", "maxLength": 10}),
        "Pet": {"allOf": [{"$ref": "#/components/schemas/Base"}, obj(kind={"type": "string"})]},
    }
    old = document(schemas=schemas, paths=body_operation(request={"$ref": "#/components/schemas/Pet"}))
    new_schemas = {**schemas, "Base": {**obj(name={"type": "string", "maxLength": 5}), "required": ["name"]}}
    new = document(schemas=new_schemas, paths=body_operation(request={"$ref": "#/components/schemas/Pet"}))
    found = changes(old, new)
    assert rules(found) == ["request-max-length-narrowed", "request-property-became-required"]
    assert {c.new for c in found} == {
        "#/components/schemas/Base/properties/name/maxLength",
        "#/components/schemas/Base/required",
    }
    assert all(c.operation == "POST /things" for c in found)


def test_a_recursive_schema_is_compared_once_and_ends(changes: Changes) -> None:
    def tree(limit: int) -> Doc:
        node = obj(
            label={"type": "string", "maxLength": limit},
            children={"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
        )
        return document(
            schemas={"Node": node},
            paths=body_operation(
                request={"$ref": "#/components/schemas/Node"}, response={"$ref": "#/components/schemas/Node"}
            ),
        )

    found = changes(tree(10), tree(5))
    assert rules(found) == ["request-max-length-narrowed", "response-max-length-narrowed"]


def test_one_of_alternatives_are_paired_by_reference_then_type(changes: Changes) -> None:
    schemas = {
        "Card": obj(number={"type": "string"}),
        "Bank": obj(iban={"type": "string"}),
        "Cash": obj(amount={"type": "integer"}),
    }

    def pay(*names: str) -> Doc:
        union = {"oneOf": [{"$ref": f"#/components/schemas/{n}"} for n in names]}
        return document(schemas=schemas, paths=body_operation(request=union, response=union))

    assert rules(changes(pay("Card", "Bank"), pay("Bank", "Card"))) == []
    assert rules(changes(pay("Card", "Bank"), pay("Card"))) == [
        "request-variant-removed",
        "response-variant-removed",
    ]
    assert rules(changes(pay("Card"), pay("Card", "Cash"))) == [
        "request-variant-added",
        "response-variant-added",
    ]


def test_relative_file_refs_are_followed_and_named(tmp_path: Path) -> None:
    def side(name: str, limit: int) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        save(folder / "schemas.yaml", {"Pet": obj(name={"type": "string", "maxLength": limit})})
        return save(
            folder / "api.json", document(paths=body_operation(request={"$ref": "schemas.yaml#/Pet"}))
        )

    found = compare(spec_of(side("old", 10)), spec_of(side("new", 5)))
    assert [(c.rule, c.old, c.new) for c in found] == [
        (
            "request-max-length-narrowed",
            "schemas.yaml#/Pet/properties/name/maxLength",
            "schemas.yaml#/Pet/properties/name/maxLength",
        )
    ]


def test_the_budget_bounds_the_work(tmp_path: Path) -> None:
    properties = {f"p{i}": {"type": "string"} for i in range(50)}
    old = spec_of(save(tmp_path / "a.json", request(obj(**properties))))
    with pytest.raises(DocumentError, match="too large to compare"):
        compare(old, old, Budget(steps=10))
