"""Counts of the requests answered, for `GET /_mock/metrics`: by dialect, operation and status, their
latency, and the fault rules that fired.

`RequestMetrics.observe` is `Front`'s observer: it calls the recorder (the request journal and the
access log, `then`), reads what the engine noted in the request's `engine/seen.Seen` and adds to
counts made at start-up: no lock, no label lookup, no object per request (the exposition,
`metrics_export.py`, turns the counts into Prometheus families when scraped). Every key is the
sandbox's own: a dialect, an operationId of its specs or `unmatched`, a status among those it
answers (`other` for any other). Nothing a tenant chooses (a path, a workspace id, a method) becomes
a key, so the number of series is bounded by the specs.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping

from starlette.types import Scope

from mock_server.engine.front import Observer
from mock_server.engine.seen import NO_ANSWER, SEEN, Seen
from mock_server.engine.spec import Spec

UNMATCHED = "unmatched"  # the operation of a request no operation of a served spec matched
OTHER_STATUS = 0  # a status the sandbox is not known to answer (shown as `other`)
# upper bounds of the latency buckets, in milliseconds (Prometheus' `le`, shown in seconds)
LATENCY_BUCKETS_MS = (1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0)
FIRST_BUCKET_MS = LATENCY_BUCKETS_MS[0]
# statuses answered outside any operation's documented responses: no route (404, 405), the guard's
# and the header limits' refusals, a client gone before the answer, a last-resort 500
UNDOCUMENTED_STATUSES = frozenset({400, 403, 404, 405, 415, 421, 431, NO_ANSWER, 500, 503})
FAULT_KINDS = ("status", "latency", "drop_connection")  # what a fault rule that fired did


def answered_statuses(specs: Iterable[Spec]) -> frozenset[int]:
    """Every status the sandbox may answer: those its specs document, and its own."""
    documented = {int(code) for spec in specs for op in spec.operations for code in op.responses
                  if code.isdigit()}
    return frozenset(documented | UNDOCUMENTED_STATUSES)


def operations_of(specs: Mapping[str, Spec]) -> dict[tuple[str, str], str]:
    """Each (full path template, as `Seen.template` holds it; operationId) → the dialect serving it."""
    return {(spec.base_path + op.path, op.operation_id): name
            for name, spec in specs.items() for op in spec.operations}


class Counts:
    """One operation's (or a dialect's unmatched requests') counts: requests by status (every status
    counted by its number is there from the start, at 0), and latency: a count per bucket (the last
    one past every bound), then the sum of the durations in milliseconds."""

    __slots__ = ("dialect", "operation", "statuses", "timings")

    def __init__(self, dialect: str, operation: str, statuses: frozenset[int]) -> None:
        self.dialect = dialect
        self.operation = operation
        self.statuses = dict.fromkeys((*statuses, OTHER_STATUS), 0)
        self.timings = [0.0] * (len(LATENCY_BUCKETS_MS) + 2)


def fault_kind(fault: Mapping[str, object]) -> str:
    """What a fault rule did to the request it fired on (one of `FAULT_KINDS`)."""
    if fault.get("drop_connection"):
        return "drop_connection"
    return "status" if fault.get("status") is not None else "latency"


class RequestMetrics:
    """The observer of answered requests that counts them. `operations`: see `operations_of`;
    `dialect_of_path`: the dialect an unmatched path falls under (whose envelope answered it);
    `statuses`: those counted by their number (see `answered_statuses`); `then`: the next observer
    (the request journal and access log), called first."""

    def __init__(
        self,
        operations: Mapping[tuple[str, str], str],
        dialect_of_path: Callable[[str], str],
        statuses: frozenset[int],
        then: Observer | None = None,
    ) -> None:
        # every key made up front: a request only adds to what is there (one lookup for its
        # operation, one for its status), and nothing a request brings makes a new one
        # full path template -> operationId -> its counts (two lookups of strings whose hashes are
        # kept: a tuple key cost a third more)
        self.operations: dict[str | None, dict[str | None, Counts]] = {}
        for (template, operation_id), dialect in operations.items():
            self.operations.setdefault(template, {})[operation_id] = Counts(dialect, operation_id, statuses)
        self.unmatched = {name: Counts(name, UNMATCHED, statuses) for name in set(operations.values())}
        self.dialect_of_path = dialect_of_path
        self.then = then
        self.faults = dict.fromkeys(FAULT_KINDS, 0)

    def counts(self) -> list[Counts]:
        return [*(c for by_id in self.operations.values() for c in by_id.values()), *self.unmatched.values()]

    def observe(self, scope: Scope, received_at: float, duration_ms: float) -> None:
        """`Front`'s observer (handed as this bound method: calling an instance costs a lookup of
        `__call__` more, a sixth of what counting costs)."""
        then = self.then
        if then is not None:
            then(scope, received_at, duration_ms)
        seen: Seen = scope["state"][SEEN]
        by_id = self.operations.get(seen.template)
        counts = by_id.get(seen.operation_id) if by_id is not None else None
        if counts is None:
            counts = self.unmatched[self.dialect_of_path(scope["path"])]
        try:
            counts.statuses[seen.status] += 1
        except KeyError:
            counts.statuses[OTHER_STATUS] += 1
        timings = counts.timings
        # most answers take under a millisecond: the first bucket without a search
        timings[0 if duration_ms <= FIRST_BUCKET_MS else bisect_left(LATENCY_BUCKETS_MS, duration_ms)] += 1
        timings[-1] += duration_ms
        if seen.fault is not None:
            self.faults[fault_kind(seen.fault)] += 1
