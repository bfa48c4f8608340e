"""Compare two schemas as one side of the API sees them.

`request`: what a client sends and the server validates; it may only accept more. `response`: what
the server sends and a client parses; it may only send less. Every (OLD schema, NEW schema, side)
pair is compared once per operation, so recursive schemas end, and the budget bounds the rest.
"""

from __future__ import annotations

from typing import Any

from contracts.evolution.document import Location
from contracts.evolution.facts import MISSING, UPPER, Facts, Locations
from contracts.evolution.rules import BOUNDS
from contracts.evolution.walk import OperationChanges

MAX_NESTING = 64  # schemas inside schemas, along one path (recursion ends earlier: pairs repeat)


def _subject(place: str, path: str) -> str:
    return f"`{path}` in the {place}" if path else f"the {place}"


def _types(types: frozenset[str] | None) -> str:
    return "any type" if types is None else " or ".join(sorted(types)) or "nothing"


def _covers(wide: frozenset[str] | None, narrow: frozenset[str] | None) -> bool:
    if wide is None:
        return True
    if narrow is None:
        return False
    return all(t in wide or (t == "integer" and "number" in wide) for t in narrow)


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 80 else text[:77] + "…"


class SchemaComparison:
    def __init__(self, noted: OperationChanges) -> None:
        self.noted = noted
        self.sides = noted.sides
        self._compared: set[tuple[Locations, Locations, str]] = set()

    def compare(
        self, old: Locations, new: Locations, side: str, place: str, path: str = "", depth: int = 0
    ) -> None:
        key = (old, new, side)
        if key in self._compared or depth > MAX_NESTING:
            return
        self._compared.add(key)
        self.sides.budget.spend()
        before, after = self.sides.old_facts.of(old), self.sides.new_facts.of(new)
        subject = _subject(place, path)
        self._type(before, after, side, subject)
        self._enum(before, after, side, subject)
        self._bounds(before, after, side, subject)
        self._keywords(before, after, side, subject)
        if (before.variants is None) != (after.variants is None):
            # a schema became a union or stopped being one: its content is compared with the
            # alternative it pairs with, not with the union's (empty) own keywords
            self._variants(old, new, before, after, side, place, path, depth)
            return
        self._properties(before, after, side, place, path, depth)
        if before.items is not None and after.items is not None:
            self.compare(before.items, after.items, side, place, f"{path}[]", depth + 1)
        if before.additional_schema is not None and after.additional_schema is not None:
            self.compare(
                before.additional_schema, after.additional_schema, side, place, f"{path}{{*}}", depth + 1
            )
        self._variants(old, new, before, after, side, place, path, depth)

    def _add(self, rule: str, message: str, old: Location | None, new: Location | None) -> None:
        self.noted.add(rule, message, old, new)

    def _type(self, before: Facts, after: Facts, side: str, subject: str) -> None:
        old_t, new_t = before.types, after.types
        if old_t != new_t and not (_covers(old_t, new_t) and _covers(new_t, old_t)):
            way = "widened" if _covers(new_t, old_t) else "narrowed" if _covers(old_t, new_t) else "changed"
            self._add(
                f"{side}-type-{way}",
                f"the type of {subject} went from {_types(old_t)} to {_types(new_t)}",
                before.where("type"),
                after.where("type"),
            )
        if before.nullable is not None and after.nullable is not None and before.nullable != after.nullable:
            rule = f"{side}-became-nullable" if after.nullable else f"{side}-became-non-nullable"
            words = "may now be null" if after.nullable else "may no longer be null"
            self._add(
                rule,
                f"{subject} {words}",
                before.where("nullable" if before.nullable else "type"),
                after.where("nullable" if after.nullable else "type"),
            )

    def _enum(self, before: Facts, after: Facts, side: str, subject: str) -> None:
        old_e, new_e = before.enum, after.enum
        if old_e == new_e or (old_e is not None and new_e is not None and old_e.keys() == new_e.keys()):
            return
        where = before.where("enum"), after.where("enum")
        if old_e is None and new_e is not None:
            values = ", ".join(_show(v) for v in new_e.values())
            self._add(f"{side}-enum-narrowed", f"{subject} is now limited to {values}", *where)
        elif new_e is None and old_e is not None:
            self._add(f"{side}-enum-widened", f"{subject} is no longer limited to a list of values", *where)
        elif old_e is not None and new_e is not None:
            removed = [_show(v) for k, v in old_e.items() if k not in new_e]
            added = [_show(v) for k, v in new_e.items() if k not in old_e]
            if removed:
                self._add(f"{side}-enum-narrowed", f"{subject} no longer takes {', '.join(removed)}", *where)
            if added:
                self._add(f"{side}-enum-widened", f"{subject} now takes {', '.join(added)}", *where)

    def _bounds(self, before: Facts, after: Facts, side: str, subject: str) -> None:
        for keyword, family in BOUNDS.items():
            old_b, new_b = before.bounds.get(keyword), after.bounds.get(keyword)
            if old_b is None and new_b is None:
                continue
            upper = keyword in UPPER
            if new_b is not None and (old_b is None or new_b.tighter_than(old_b, upper)):
                way = "narrowed"
            elif old_b is not None and (new_b is None or old_b.tighter_than(new_b, upper)):
                way = "widened"
            else:
                continue
            shown = [_bound(keyword, b) for b in (old_b, new_b)]
            self._add(
                f"{side}-{family}-{way}",
                f"{subject}: {shown[0]} → {shown[1]}",
                before.where(keyword),
                after.where(keyword),
            )

    def _keywords(self, before: Facts, after: Facts, side: str, subject: str) -> None:
        for keyword in ("pattern", "format"):
            old_v, new_v = getattr(before, keyword), getattr(after, keyword)
            if old_v == new_v:
                continue
            way = "added" if old_v is None else "removed" if new_v is None else "changed"
            self._add(
                f"{side}-{keyword}-{way}",
                f"{subject}: {keyword} {_show(old_v) if old_v else 'none'} → "
                f"{_show(new_v) if new_v else 'none'}",
                before.where(keyword),
                after.where(keyword),
            )
        old_m, new_m = before.multiple_of, after.multiple_of
        if old_m != new_m:
            if old_m is None or (new_m is not None and new_m % old_m == 0):
                way = "narrowed"
            elif new_m is None or old_m % new_m == 0:
                way = "widened"
            else:
                way = "changed"
            self._add(
                f"{side}-multiple-of-{way}",
                f"{subject}: multipleOf {old_m} → {new_m}",
                before.where("multipleOf"),
                after.where("multipleOf"),
            )
        if before.unique_items != after.unique_items:
            way = "added" if after.unique_items else "removed"
            self._add(
                f"{side}-unique-items-{way}",
                f"{subject}: uniqueItems {way}",
                before.where("uniqueItems"),
                after.where("uniqueItems"),
            )
        if (before.default is MISSING) != (after.default is MISSING) or (
            before.default is not MISSING and before.default != after.default
        ):
            old_d = "none" if before.default is MISSING else _show(before.default)
            new_d = "none" if after.default is MISSING else _show(after.default)
            self._add(
                f"{side}-default-changed",
                f"{subject}: default {old_d} → {new_d}",
                before.where("default"),
                after.where("default"),
            )
        if (before.additional is False) != (after.additional is False):
            way = "forbidden" if after.additional is False else "allowed"
            self._add(
                f"{side}-additional-properties-{way}",
                f"{subject}: properties not listed are now {way}",
                before.where("additionalProperties"),
                after.where("additionalProperties"),
            )

    def _properties(self, before: Facts, after: Facts, side: str, place: str, path: str, depth: int) -> None:
        names = list(
            dict.fromkeys([*before.properties, *after.properties, *before.required, *after.required])
        )
        for name in names:
            old_p, new_p = before.properties.get(name), after.properties.get(name)
            if self._skipped(old_p, new_p, side):
                continue
            sub = f"{path}.{name}" if path else name
            was, now = name in before.required, name in after.required
            what = f"`{sub}` in the {place}"
            old_at = old_p[0] if old_p else before.where("properties")
            new_at = new_p[0] if new_p else after.where("properties")
            known_before = old_p is not None or was
            known_after = new_p is not None or now
            if known_before and known_after:
                if side == "request" and now and not was:
                    self._add(
                        "request-property-became-required",
                        f"{what} became required",
                        before.where("required"),
                        after.where("required"),
                    )
                elif side == "request" and was and not now:
                    self._add(
                        "request-property-became-optional",
                        f"{what} became optional",
                        before.where("required"),
                        after.where("required"),
                    )
                elif side == "response" and was and not now:
                    self._add(
                        "response-property-became-optional",
                        f"{what} may now be missing",
                        before.where("required"),
                        after.where("required"),
                    )
                elif side == "response" and now and not was:
                    self._add(
                        "response-property-became-required",
                        f"{what} is now always present",
                        before.where("required"),
                        after.where("required"),
                    )
                if old_p is not None and new_p is not None:
                    self.compare(old_p, new_p, side, place, sub, depth + 1)
            elif known_before:
                if side == "request":
                    rule = (
                        "request-property-removed-refused"
                        if after.additional is False
                        else "request-property-removed"
                    )
                    self._add(rule, f"{what} was removed", old_at, new_at)
                else:
                    rule = (
                        "response-required-property-removed" if was else "response-optional-property-removed"
                    )
                    self._add(rule, f"{what} was removed", old_at, new_at)
            elif side == "request":
                rule = "request-property-added-required" if now else "request-property-added"
                self._add(rule, f"{what} was added{' (required)' if now else ''}", old_at, new_at)
            else:
                self._add("response-property-added", f"{what} was added", old_at, new_at)

    def _skipped(self, old: Locations | None, new: Locations | None, side: str) -> bool:
        """readOnly properties are not sent by clients, writeOnly ones not answered."""
        for locations, facts in ((old, self.sides.old_facts), (new, self.sides.new_facts)):
            if locations is not None:
                found = facts.of(locations)
                if (side == "request" and found.read_only) or (side == "response" and found.write_only):
                    return True
        return False

    def _variants(
        self,
        old: Locations,
        new: Locations,
        before: Facts,
        after: Facts,
        side: str,
        place: str,
        path: str,
        depth: int,
    ) -> None:
        if before.variants is None and after.variants is None:
            return
        old_v = list(before.variants or (old,))  # a plain schema is a union of one
        new_v = list(after.variants or (new,))
        pairs: list[tuple[Locations, Locations]] = []
        for match in (self._same_ref, self._same_type, lambda o, n: True):
            for old_one in list(old_v):
                found = next((n for n in new_v if match(old_one, n)), None)
                if found is not None:
                    pairs.append((old_one, found))
                    old_v.remove(old_one)
                    new_v.remove(found)
        for old_one, new_one in pairs:
            self.compare(old_one, new_one, side, place, path, depth + 1)
        subject = _subject(place, path)
        for old_one in old_v:
            self._add(
                f"{side}-variant-removed",
                f"{subject}: the alternative at {self.sides.old.label(old_one[0])} was removed",
                old_one[0],
                after.where("variants"),
            )
        for new_one in new_v:
            self._add(
                f"{side}-variant-added",
                f"{subject}: a new alternative at {self.sides.new.label(new_one[0])}",
                before.where("variants"),
                new_one[0],
            )

    def _same_ref(self, old: Locations, new: Locations) -> bool:
        old_raw, new_raw = self.sides.old.get(old[0]), self.sides.new.get(new[0])
        return (
            isinstance(old_raw, dict)
            and "$ref" in old_raw
            and old_raw.get("$ref") == (new_raw.get("$ref") if isinstance(new_raw, dict) else None)
        )

    def _same_type(self, old: Locations, new: Locations) -> bool:
        return self.sides.old_facts.of(old).types == self.sides.new_facts.of(new).types


def _bound(keyword: str, bound: Any) -> str:
    if bound is None:
        return "none"
    name = keyword
    if bound.exclusive and keyword in ("maximum", "minimum"):
        name = "exclusiveMaximum" if keyword == "maximum" else "exclusiveMinimum"
    value = int(bound.value) if isinstance(bound.value, float) and bound.value.is_integer() else bound.value
    return f"{name} {value}"
