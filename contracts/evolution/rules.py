"""Every rule `diff` applies: its id, its level, and what it means for a client. One table.

Levels, from a client's point of view: **breaking** (a client that worked may now fail: its request
is refused, or an answer it relies on is gone or changed shape), **potentially breaking** (only
strict or unusual clients fail, or behaviour changes silently) and **compatible**.
Request-side rules follow one principle (what the server accepts may only grow) and response-side
rules its mirror (what the server sends may only shrink); the ids say which side and which way.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Level(enum.IntEnum):
    COMPATIBLE = 0
    POTENTIALLY_BREAKING = 1
    BREAKING = 2

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", "-")

    @property
    def words(self) -> str:
        return self.name.lower().replace("_", " ")


B, P, C = Level.BREAKING, Level.POTENTIALLY_BREAKING, Level.COMPATIBLE


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    level: Level
    summary: str


PLAIN: tuple[tuple[str, Level, str], ...] = (
    ("operation-removed", B, "an operation is gone: clients calling it get 404 or 405"),
    ("operation-added", C, "a new operation"),
    ("operation-deprecated", C, "an operation is marked deprecated"),
    ("operation-id-changed", P, "the operationId changed: generated clients rename their method"),
    ("security-requirement-added", B, "an operation that needed no credentials now needs them"),
    ("security-requirement-changed", B, "credentials that were accepted are no longer enough"),
    ("security-scope-added", B, "a security requirement asks for more scopes"),
    ("security-scheme-changed", B, "how credentials are sent changed (scheme type, header, …)"),
    ("security-alternative-added", C, "a new way to authenticate"),
    ("security-removed", C, "an operation no longer needs credentials"),
    ("request-parameter-removed", B, "a parameter clients send is no longer read"),
    ("request-parameter-added-required", B, "a new required parameter (or header)"),
    ("request-parameter-added", C, "a new optional parameter"),
    ("request-parameter-became-required", B, "an optional parameter became required"),
    ("request-parameter-became-optional", C, "a required parameter became optional"),
    ("request-parameter-style-changed", B, "a parameter is serialised differently (style/explode)"),
    ("request-body-added-required", B, "an operation without a body now requires one"),
    ("request-body-added", C, "an operation accepts an optional body"),
    ("request-body-removed", P, "the body clients send is no longer documented (ignored, or refused)"),
    ("request-body-became-required", B, "the request body became required"),
    ("request-body-became-optional", C, "the request body became optional"),
    ("request-content-type-removed", B, "a request content type is no longer accepted"),
    ("request-content-type-added", C, "a new request content type is accepted"),
    ("request-property-removed", P, "a request property is no longer documented: the server ignores it"),
    (
        "request-property-removed-refused",
        B,
        "a request property is gone and additional properties are refused",
    ),
    ("request-property-added-required", B, "a new required request property"),
    ("request-property-added", C, "a new optional request property"),
    ("request-property-became-required", B, "an optional request property became required"),
    ("request-property-became-optional", C, "a required request property became optional"),
    (
        "request-default-changed",
        P,
        "a request default changed: clients that omit the value get other behaviour",
    ),
    ("response-status-removed", B, "a documented response status is gone"),
    ("response-success-status-added", P, "a new success status: clients that test for one status miss it"),
    ("response-status-added", C, "a new error status"),
    ("response-content-type-removed", B, "a response content type is gone"),
    ("response-content-type-added", C, "a new response content type"),
    ("response-required-header-removed", B, "a response header clients could rely on is gone"),
    ("response-optional-header-removed", P, "an optional response header is gone"),
    ("response-header-became-optional", B, "a response header may now be missing"),
    ("response-header-added", C, "a new response header"),
    ("response-required-property-removed", B, "a response property clients could rely on is gone"),
    ("response-optional-property-removed", P, "an optional response property is gone"),
    ("response-property-became-optional", B, "a response property may now be missing"),
    ("response-property-became-required", C, "a response property is now always present"),
    ("response-property-added", C, "a new response property"),
    ("response-default-changed", C, "a response default changed"),
    ("traffic-request-refused", B, "a recorded request OLD accepted would be refused by NEW"),
    ("traffic-response-out-of-contract", B, "a recorded response OLD allowed is out of NEW's contract"),
    ("traffic-operation-removed", B, "recorded traffic uses an operation NEW removes"),
)

# (rule id without its side, level on the request side, level on the response side, what it is)
_SIDED: tuple[tuple[str, Level, Level, str], ...] = (
    ("type-narrowed", B, C, "fewer types are allowed (e.g. number → integer)"),
    ("type-widened", C, P, "more types are allowed (strict clients may not parse them)"),
    ("type-changed", B, B, "the type changed (e.g. string → integer)"),
    ("became-nullable", C, B, "null is now allowed"),
    ("became-non-nullable", B, C, "null is no longer allowed"),
    ("enum-narrowed", B, C, "fewer enum values (or an enum where there was none)"),
    ("enum-widened", C, P, "more enum values (or no enum any more)"),
    ("multiple-of-narrowed", B, C, "multipleOf became stricter"),
    ("multiple-of-widened", C, P, "multipleOf became looser"),
    ("multiple-of-changed", B, P, "multipleOf changed to a value that is neither stricter nor looser"),
    ("pattern-added", B, C, "a pattern where there was none"),
    ("pattern-removed", C, P, "a pattern is gone"),
    ("pattern-changed", P, P, "the pattern changed (which strings it takes cannot be compared)"),
    ("format-added", B, C, "a format where there was none"),
    ("format-removed", C, P, "a format is gone"),
    ("format-changed", B, P, "the format changed"),
    ("unique-items-added", B, C, "array items must now be unique"),
    ("unique-items-removed", C, P, "array items may now repeat"),
    ("additional-properties-forbidden", B, C, "properties not listed are now refused"),
    ("additional-properties-allowed", C, P, "properties not listed are now allowed"),
    ("variant-removed", B, C, "a oneOf/anyOf alternative is gone"),
    ("variant-added", C, P, "a new oneOf/anyOf alternative"),
)

# keyword → the rule family of its bound (narrowed: fewer values allowed)
BOUNDS = {
    "maxLength": "max-length",
    "minLength": "min-length",
    "maximum": "maximum",
    "minimum": "minimum",
    "maxItems": "max-items",
    "minItems": "min-items",
    "maxProperties": "max-properties",
    "minProperties": "min-properties",
}


def sided() -> list[tuple[str, Level, Level, str]]:
    """(rule id without its side, request level, response level, meaning), bounds included."""
    rows = list(_SIDED)
    for keyword, family in BOUNDS.items():
        rows.append(
            (f"{family}-narrowed", B, C, f"`{keyword}` became stricter (e.g. maxLength down, minimum up)")
        )
        rows.append((f"{family}-widened", C, P, f"`{keyword}` became looser or was removed"))
    return rows


def _table() -> dict[str, Rule]:
    table = {rule_id: Rule(rule_id, level, summary) for rule_id, level, summary in PLAIN}
    for suffix, request, response, summary in sided():
        table[f"request-{suffix}"] = Rule(f"request-{suffix}", request, f"request: {summary}")
        table[f"response-{suffix}"] = Rule(f"response-{suffix}", response, f"response: {summary}")
    return table


RULES: dict[str, Rule] = _table()


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between OLD and NEW, as one rule sees it."""

    rule: str
    operation: str  # "POST /batch-calls"
    message: str
    old: str | None  # where in OLD: "#/components/schemas/X/required", or "file.yaml#/…"
    new: str | None  # where in NEW (for something removed: where it was removed from)

    @property
    def level(self) -> Level:
        return RULES[self.rule].level
