"""Fault rules for the public API: an error status, latency, or a dropped connection, matched by
method and path pattern, with a probability or a count. Listed, removable, cleared by reset.

A workspace holds at most `--max-fault-rules` of them (the control API refuses more), and a pattern
is matched in time linear in the path and the pattern, so each request of a workspace costs at most
that many linear scans.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, fields
from typing import Any

FAULT_STATUSES = (429, 500, 503)


@dataclass(slots=True)
class FaultRule:
    id: str
    path: str = "*"  # pattern over the request path: `*` is any run of characters (see `path_matches`)
    method: str | None = None  # None: any method
    status: int | None = None  # one of FAULT_STATUSES
    latency_ms: int = 0
    drop_connection: bool = False
    probability: float = 1.0
    remaining: int | None = None  # None: unlimited; a count is used up by matches
    # the pattern split at its `*`s, once: a request is checked against every rule of its world
    parts: tuple[str, ...] = field(init=False, repr=False, compare=False, default=())

    def __post_init__(self) -> None:
        self.parts = tuple(self.path.split("*"))

    def as_json(self) -> dict[str, Any]:
        return {item.name: getattr(self, item.name) for item in fields(self) if item.init}


def path_matches(pattern: str, path: str) -> bool:
    """Whether `path` matches `pattern`, where `*` stands for any run of characters (`/` included)
    and every other character for itself."""
    return parts_match(tuple(pattern.split("*")), path)


def parts_match(parts: tuple[str, ...], path: str) -> bool:
    """`path_matches` for a pattern split at its `*`s. Linear, with no backtracking: the part before
    the first `*` must begin the path, the part after the last must end it, and each part between
    is found at its leftmost place after the previous one (which leaves the most room for the rest)."""
    first = parts[0]
    if len(parts) == 1:
        return path == first
    last = parts[-1]
    end = len(path) - len(last)
    if end < len(first) or not path.startswith(first) or not path.endswith(last):
        return False
    at = len(first)
    for part in parts[1:-1]:
        found = path.find(part, at, end)
        if found < 0:
            return False
        at = found + len(part)
    return True


def rule_from_json(rule_id: str, body: dict[str, Any]) -> FaultRule:
    """A rule from its JSON, or ValueError naming what is wrong."""
    known = {"path", "method", "status", "latency_ms", "drop_connection", "probability", "count"}
    unknown = set(body) - known
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
    path = body.get("path", "*")
    method = body.get("method")
    status = body.get("status")
    latency = body.get("latency_ms", 0)
    drop = body.get("drop_connection", False)
    probability = body.get("probability", 1.0)
    count = body.get("count")
    if not isinstance(path, str) or not path:
        raise ValueError("path must be a non-empty pattern such as /api/public/v1/batch-calls*")
    if method is not None and not (isinstance(method, str) and method.isalpha()):
        raise ValueError("method must be an HTTP method name")
    if status is not None and status not in FAULT_STATUSES:
        raise ValueError(f"status must be one of {', '.join(map(str, FAULT_STATUSES))}")
    if not isinstance(latency, int) or isinstance(latency, bool) or not 0 <= latency <= 60_000:
        raise ValueError("latency_ms must be an integer from 0 to 60000")
    if not isinstance(drop, bool):
        raise ValueError("drop_connection must be a boolean")
    if not isinstance(probability, int | float) or isinstance(probability, bool) \
            or not 0 < probability <= 1:
        raise ValueError("probability must be in (0, 1]")
    if count is not None and not (isinstance(count, int) and not isinstance(count, bool) and count >= 1):
        raise ValueError("count must be a positive integer")
    if status is None and not latency and not drop:
        raise ValueError("a rule needs a status, a latency_ms or drop_connection")
    return FaultRule(rule_id, path, method.upper() if method else None, status, latency, drop,
                     float(probability), count)


class FaultTable:
    draws = 0  # random numbers drawn so far (a table unpickled from before this counter starts at 0)

    def __init__(self, seed: int) -> None:
        self._rules: dict[str, FaultRule] = {}
        self._rng = random.Random(seed)

    def add(self, rule: FaultRule) -> None:
        self._rules[rule.id] = rule

    def remove(self, rule_id: str) -> bool:
        return self._rules.pop(rule_id, None) is not None

    def rules(self) -> list[FaultRule]:
        return list(self._rules.values())

    def __len__(self) -> int:
        return len(self._rules)

    def clear(self) -> None:
        self._rules.clear()

    def match(self, method: str, path: str) -> FaultRule | None:
        """The first rule that fires for this request (a counted rule is used up by firing)."""
        if not self._rules:
            return None
        for rule in list(self._rules.values()):
            if rule.method is not None and rule.method != method:
                continue
            if not parts_match(rule.parts, path):
                continue
            if rule.probability < 1:
                self.draws += 1
                if self._rng.random() >= rule.probability:
                    continue
            if rule.remaining is not None:
                rule.remaining -= 1
                if rule.remaining <= 0:
                    del self._rules[rule.id]
            return rule
        return None
