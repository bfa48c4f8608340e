"""Counts of the requests answered, for `GET /_mock/metrics`: by dialect, operation and status, their
latency, and the fault rules that fired.

Called by `Front` once each request is answered, like the recorder (and ahead of it: `then`). It
reads what the engine noted in the request's `engine/seen.Seen` and adds to plain dicts: no lock, no
label lookup, no object per request (the exposition, `metrics_export.py`, turns the dicts into
Prometheus families when scraped). Every key is the sandbox's own: a dialect, an operationId of its
specs or `unmatched`, a status among those it answers. Nothing a tenant chooses (a path, a
workspace id, a method) becomes a key, so the number of keys is bounded by the specs.
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
# statuses answered outside any operation's documented responses: no route (404, 405), the guard's
# and the header limits' refusals, a client gone before the answer, a last-resort 500
UNDOCUMENTED_STATUSES = frozenset({400, 403, 404, 405, 415, 421, 431, NO_ANSWER, 500, 503})
FAULT_KINDS = ("status", "latency", "drop_connection")  # what a fault rule that fired did


def answered_statuses(specs: Iterable[Spec]) -> frozenset[int]:
    """Every status the sandbox may answer: those its specs document, and its own."""
    documented = {int(code) for spec in specs for op in spec.operations for code in op.responses
                  if code.isdigit()}
    return frozenset(documented | UNDOCUMENTED_STATUSES)


def dialects_of_templates(specs: Mapping[str, Spec]) -> dict[str, str]:
    """Each full path template (as `Seen.template` holds it) → the name of the dialect serving it."""
    return {spec.base_path + op.path: name for name, spec in specs.items() for op in spec.operations}


def fault_kind(fault: Mapping[str, object]) -> str:
    """What a fault rule did to the request it fired on (one of `FAULT_KINDS`)."""
    if fault.get("drop_connection"):
        return "drop_connection"
    return "status" if fault.get("status") is not None else "latency"


class RequestMetrics:
    """The observer of answered requests that counts them. `dialect_of_template`: see
    `dialects_of_templates`; `dialect_of_path`: the dialect an unmatched path falls under (whose
    envelope answered it); `statuses`: those counted by their number (see `answered_statuses`);
    `then`: the next observer (the request journal and access log), called first."""

    def __init__(
        self,
        dialect_of_template: Mapping[str, str],
        dialect_of_path: Callable[[str], str],
        statuses: frozenset[int],
        then: Observer | None = None,
    ) -> None:
        self.dialect_of_template = dict(dialect_of_template)
        self.dialect_of_path = dialect_of_path
        self.statuses = statuses
        self.then = then
        # (dialect, operation, status) -> requests
        self.requests: dict[tuple[str, str, int], int] = {}
        # (dialect, operation) -> a count per latency bucket (the last one: past every bound), then
        # the sum of the durations in milliseconds
        self.latency: dict[tuple[str, str], list[float]] = {}
        self.faults = dict.fromkeys(FAULT_KINDS, 0)

    def __call__(self, scope: Scope, received_at: float, duration_ms: float) -> None:
        then = self.then
        if then is not None:
            then(scope, received_at, duration_ms)
        seen: Seen = scope["state"][SEEN]
        operation = seen.operation_id
        if operation is None:
            dialect, operation = self.dialect_of_path(scope["path"]), UNMATCHED
        else:
            dialect = self.dialect_of_template.get(seen.template or "") or self.dialect_of_path(scope["path"])
        status = seen.status
        if status not in self.statuses:
            status = OTHER_STATUS
        key = (dialect, operation, status)
        requests = self.requests
        requests[key] = requests.get(key, 0) + 1
        timed = (dialect, operation)
        timings = self.latency.get(timed)
        if timings is None:
            timings = self.latency[timed] = [0.0] * (len(LATENCY_BUCKETS_MS) + 2)
        timings[bisect_left(LATENCY_BUCKETS_MS, duration_ms)] += 1
        timings[-1] += duration_ms
        fault = seen.fault
        if fault is not None:
            self.faults[fault_kind(fault)] += 1
