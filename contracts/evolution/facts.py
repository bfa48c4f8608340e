"""What a schema allows, read the same way from OpenAPI 3.0 and 3.1.

`Facts` is one schema with `$ref`s followed and `allOf` merged (a conjunction: types meet, bounds
take the tighter, properties and `required` unite). Nullability is one flag whichever way it is
written: 3.0 `nullable: true`, 3.1 `type: [..., "null"]`, `enum` with `null`, or a `oneOf`/`anyOf`
with a `{"type": "null"}` alternative (an `anyOf` of one schema and null is that schema, nullable).
Sub-schemas (properties, items, alternatives) stay `Location`s: the comparison walks to them.
Every schema object is read once per document (cached); a cycle through `allOf` adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, TypeGuard

import orjson

from contracts.evolution.document import Location, Spec
from contracts.evolution.rules import BOUNDS

UPPER = ("maximum", "maxLength", "maxItems", "maxProperties")
Locations = tuple[Location, ...]


class _Missing:
    def __repr__(self) -> str:
        return "no default"


MISSING: Any = _Missing()


@dataclass(frozen=True, slots=True)
class Bound:
    value: float
    exclusive: bool
    at: Location

    def tighter_than(self, other: Bound, upper: bool) -> bool:
        if self.value != other.value:
            return self.value < other.value if upper else self.value > other.value
        return self.exclusive and not other.exclusive


@dataclass(slots=True)
class Facts:
    at: Location
    types: frozenset[str] | None = None  # JSON types other than null; None: any type
    nullable: bool | None = None  # None: not said (an untyped schema)
    enum: dict[str, Any] | None = None  # canonical JSON text -> value, null left out
    bounds: dict[str, Bound] = field(default_factory=dict)  # keyword of BOUNDS -> its bound
    multiple_of: float | None = None
    pattern: str | None = None
    format: str | None = None
    unique_items: bool = False
    default: Any = MISSING
    properties: dict[str, Locations] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    additional: bool | None = None  # False: refused; None: not said (allowed)
    additional_schema: Locations | None = None
    items: Locations | None = None
    variants: tuple[Locations, ...] | None = None  # oneOf/anyOf alternatives other than null
    read_only: bool = False
    write_only: bool = False
    keywords: dict[str, Location] = field(default_factory=dict)  # keyword -> where it is written

    def where(self, keyword: str) -> Location:
        return self.keywords.get(keyword, self.at)


def canonical(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


class SchemaFacts:
    """The facts of every schema of one side, computed on first use."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self._nodes: dict[Location, Facts] = {}
        self._merged: dict[Locations, Facts] = {}
        self._building: set[Location] = set()

    def of(self, locations: Locations) -> Facts:
        if len(locations) == 1:
            return self.node(locations[0])
        known = self._merged.get(locations)
        if known is None:
            known = Facts(at=locations[0])
            for location in locations:
                _merge(known, self.node(location))
            self._merged[locations] = known
        return known

    def node(self, location: Location) -> Facts:
        known = self._nodes.get(location)
        if known is not None:
            return known
        if location in self._building:  # allOf or an alternative that contains itself
            return Facts(at=location)
        self._building.add(location)
        try:
            facts = self._build(location)
        finally:
            self._building.discard(location)
        self._nodes[location] = facts
        return facts

    def _build(self, location: Location) -> Facts:
        raw = self.spec.value(location)
        facts = Facts(at=location)
        if raw is False:
            facts.types = frozenset()
        if not isinstance(raw, dict):
            return facts
        if "$ref" in raw:
            target, _ = self.spec.resolve(location)
            if not self.spec.is_30:  # 3.1: keywords beside $ref apply too; 3.0 ignores them
                _own(facts, raw, location, self.spec.is_30)
            _merge(facts, self.node(target))
            return facts
        _own(facts, raw, location, self.spec.is_30)
        members = raw.get("allOf")
        for index in range(len(members) if isinstance(members, list) else 0):
            _merge(facts, self.node(location.child("allOf", index)))
        for keyword in ("oneOf", "anyOf"):
            if isinstance(raw.get(keyword), list) and raw[keyword]:
                self._alternatives(facts, location.child(keyword), len(raw[keyword]))
                break
        return facts

    def _alternatives(self, facts: Facts, where: Location, count: int) -> None:
        members = [where.child(i) for i in range(count)]
        others = [m for m in members if not self._is_null(m)]
        with_null = len(others) < len(members)
        if len(others) == 1:  # X or null: X, nullable
            single = self.node(others[0])
            _merge(facts, replace(single, nullable=True) if with_null else single)
            return
        facts.variants = tuple((m,) for m in others)
        facts.keywords.setdefault("variants", where)
        kinds = [self.node(m).types for m in others]
        if facts.types is None and all(k is not None for k in kinds):  # a union's types: its members'
            facts.types = frozenset().union(*(k for k in kinds if k is not None))
        flags = [self.node(m).nullable for m in others]
        if with_null or any(flags):
            facts.nullable = False if facts.nullable is False else True
        elif facts.nullable is None and all(flag is False for flag in flags):
            facts.nullable = False

    def _is_null(self, location: Location) -> bool:
        _, raw = self.spec.resolve(location)
        if not isinstance(raw, dict):
            return False
        return (
            raw.get("type") == "null"
            or raw.get("enum") == [None]
            or ("const" in raw and raw["const"] is None)
        )


def _own(facts: Facts, raw: dict[str, Any], at: Location, is_30: bool) -> None:
    """The schema's own keywords (not those it reaches through $ref, allOf or alternatives)."""
    keywords = facts.keywords
    declared = raw.get("type")
    if isinstance(declared, str | list):
        names = {declared} if isinstance(declared, str) else {str(t) for t in declared}
        facts.types = frozenset(names - {"null"})
        facts.nullable = "null" in names
        keywords["type"] = at.child("type")
    if is_30 and raw.get("nullable") is True:
        facts.nullable = True
        keywords["nullable"] = at.child("nullable")
    values = [raw["const"]] if "const" in raw else raw.get("enum")
    if isinstance(values, list):
        facts.enum = {canonical(v): v for v in values if v is not None}
        if facts.nullable is None or (None in values and not is_30):
            facts.nullable = None in values
        keywords["enum"] = at.child("const" if "const" in raw else "enum")
    for keyword in BOUNDS:
        if _number(raw.get(keyword)):
            facts.bounds[keyword] = Bound(raw[keyword], False, at.child(keyword))
    for keyword, exclusive in (("maximum", "exclusiveMaximum"), ("minimum", "exclusiveMinimum")):
        value = raw.get(exclusive)
        if value is True and keyword in facts.bounds:  # 3.0: a flag on maximum/minimum
            facts.bounds[keyword] = replace(facts.bounds[keyword], exclusive=True)
        elif _number(value):  # 3.1: a bound of its own
            bound = Bound(value, True, at.child(exclusive))
            if keyword not in facts.bounds or bound.tighter_than(facts.bounds[keyword], keyword in UPPER):
                facts.bounds[keyword] = bound
    if _number(raw.get("multipleOf")):
        facts.multiple_of = raw["multipleOf"]
    for keyword in ("pattern", "format"):
        if isinstance(raw.get(keyword), str):
            setattr(facts, keyword, raw[keyword])
    facts.unique_items = raw.get("uniqueItems") is True
    if "default" in raw:
        facts.default = raw["default"]
    if isinstance(raw.get("properties"), dict):
        facts.properties = {str(n): (at.child("properties", n),) for n in raw["properties"]}
    if isinstance(raw.get("required"), list):
        facts.required = frozenset(str(n) for n in raw["required"])
    extra = raw.get("additionalProperties", raw.get("unevaluatedProperties"))
    if extra is False:
        facts.additional = False
    elif isinstance(extra, dict):
        name = "additionalProperties" if "additionalProperties" in raw else "unevaluatedProperties"
        facts.additional_schema = (at.child(name),)
    if isinstance(raw.get("items"), dict | bool):
        facts.items = (at.child("items"),)
    facts.read_only = raw.get("readOnly") is True
    facts.write_only = raw.get("writeOnly") is True
    for keyword in (
        "multipleOf",
        "pattern",
        "format",
        "uniqueItems",
        "default",
        "properties",
        "required",
        "additionalProperties",
        "unevaluatedProperties",
        "items",
    ):
        if keyword in raw:
            keywords.setdefault(keyword, at.child(keyword))
    for keyword in BOUNDS:
        if keyword in facts.bounds:
            keywords.setdefault(keyword, facts.bounds[keyword].at)


def _meet(first: frozenset[str] | None, second: frozenset[str] | None) -> frozenset[str] | None:
    if first is None or second is None:
        return second if first is None else first
    both = set(first & second)
    if ("number" in first and "integer" in second) or ("integer" in first and "number" in second):
        both.add("integer")
    return frozenset(both)


def _merge(into: Facts, other: Facts) -> None:
    """`into` and `other` both hold (allOf): `into` becomes their conjunction. `other` is unchanged."""
    into.types = _meet(into.types, other.types)
    if other.nullable is False or into.nullable is False:
        into.nullable = False
    elif other.nullable or into.nullable:
        into.nullable = True
    if other.enum is not None:
        into.enum = (
            dict(other.enum) if into.enum is None else {k: v for k, v in into.enum.items() if k in other.enum}
        )
    for keyword, bound in other.bounds.items():
        mine = into.bounds.get(keyword)
        if mine is None or bound.tighter_than(mine, keyword in UPPER):
            into.bounds[keyword] = bound
    for name in ("multiple_of", "pattern", "format", "additional_schema", "items", "variants"):
        if getattr(into, name) is None:
            setattr(into, name, getattr(other, name))
    if into.default is MISSING:
        into.default = other.default
    into.unique_items = into.unique_items or other.unique_items
    for name, locations in other.properties.items():
        into.properties[name] = into.properties.get(name, ()) + locations
    into.required = into.required | other.required
    if other.additional is False:
        into.additional = False
    into.read_only = into.read_only or other.read_only
    into.write_only = into.write_only or other.write_only
    for keyword, location in other.keywords.items():
        into.keywords.setdefault(keyword, location)
