"""Compare what credentials an operation accepts in OLD and in NEW.

An operation's requirement is a list of alternatives (its own `security`, else the document's);
each alternative names schemes (with scopes) that must all be satisfied; an empty one means no
credentials at all. A client that satisfied an alternative of OLD is still served by NEW when some
alternative of NEW asks for a subset of those schemes, each with a subset of the scopes.
"""

from __future__ import annotations

from typing import Any

from contracts.evolution.document import Location, Spec
from contracts.evolution.operations import OperationRef
from contracts.evolution.walk import OperationChanges

Alternative = dict[str, frozenset[str]]
# what of a security scheme decides how a client sends its credentials
_SCHEME_FIELDS = ("type", "scheme", "in", "name", "openIdConnectUrl")


def _requirement(spec: Spec, operation: OperationRef) -> tuple[list[Alternative], Location]:
    own = spec.get(operation.at)
    if isinstance(own, dict) and "security" in own:
        at = operation.at.child("security")
    else:
        at = spec.root.child("security")
    raw = spec.get(at)
    alternatives = []
    for entry in raw if isinstance(raw, list) else []:
        if isinstance(entry, dict):
            alternatives.append(
                {
                    str(n): frozenset(map(str, s)) if isinstance(s, list) else frozenset()
                    for n, s in entry.items()
                }
            )
    return alternatives, at


def _accepts(new: Alternative, old: Alternative) -> bool:
    """A client holding the credentials of `old` satisfies `new`."""
    return all(name in old and scopes <= old[name] for name, scopes in new.items())


def _names(alternative: Alternative) -> str:
    return " + ".join(sorted(alternative)) or "no credentials"


def _scheme(spec: Spec, name: str) -> tuple[Location, dict[str, Any]] | None:
    at = spec.root.child("components", "securitySchemes", name)
    if spec.get(at) is None:
        return None
    resolved, raw = spec.resolve(at)
    return (resolved, raw) if isinstance(raw, dict) else None


def _shape(raw: dict[str, Any]) -> dict[str, Any]:
    shape = {f: str(raw[f]).lower() if f in ("scheme", "in") else raw[f] for f in _SCHEME_FIELDS if f in raw}
    if shape.get("in") == "header" and isinstance(shape.get("name"), str):
        shape["name"] = shape["name"].lower()
    flows = raw.get("flows")
    if isinstance(flows, dict):
        shape["flows"] = {
            kind: {k: v for k, v in flow.items() if k in ("tokenUrl", "authorizationUrl")}
            for kind, flow in flows.items()
            if isinstance(flow, dict)
        }
    return shape


def compare_security(noted: OperationChanges, old_op: OperationRef, new_op: OperationRef) -> None:
    sides = noted.sides
    old_alts, old_at = _requirement(sides.old, old_op)
    new_alts, new_at = _requirement(sides.new, new_op)
    old_open = not old_alts or {} in old_alts
    new_open = not new_alts or {} in new_alts
    if new_open and not old_open:
        noted.add("security-removed", "no credentials are needed any more", old_at, new_at)
    elif old_open and not new_open:
        needed = " or ".join(_names(a) for a in new_alts)
        noted.add("security-requirement-added", f"credentials are now needed: {needed}", old_at, new_at)
    elif not new_open:
        for old_alt in old_alts:
            if any(_accepts(new_alt, old_alt) for new_alt in new_alts):
                continue
            same = [n for n in new_alts if set(n) <= set(old_alt)]
            if same:
                noted.add("security-scope-added", f"{_names(old_alt)} now needs more scopes", old_at, new_at)
            else:
                needed = " or ".join(_names(a) for a in new_alts)
                noted.add(
                    "security-requirement-changed",
                    f"clients that send {_names(old_alt)} are refused: NEW needs {needed}",
                    old_at,
                    new_at,
                )
        for new_alt in new_alts:  # a way to authenticate no client of OLD had (not a scope change)
            if not any(_accepts(new_alt, old_alt) or set(new_alt) == set(old_alt) for old_alt in old_alts):
                noted.add(
                    "security-alternative-added",
                    f"{_names(new_alt)} is a new way to authenticate",
                    old_at,
                    new_at,
                )
    used = {n for a in old_alts for n in a} & {n for a in new_alts for n in a}
    for name in sorted(used):
        before, after = _scheme(sides.old, name), _scheme(sides.new, name)
        if before is not None and after is not None and _shape(before[1]) != _shape(after[1]):
            noted.add(
                "security-scheme-changed",
                f"the security scheme {name} changed how credentials are sent",
                before[0],
                after[0],
            )
