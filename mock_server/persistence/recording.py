"""The sandbox as the journal needs it.

Replaying the journal in order must rebuild the state exactly, so each request is handled at one
pinned simulated instant, and whatever depends on how concurrent requests interleaved is noted on
the request's `Trace`: the fault rule that fired, a rate-limit refusal, an idempotency key found
taken. A replay forces the noted outcome instead of drawing it again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpx

from mock_server.core.clock import RealClock
from mock_server.core.errors import MockError, RateLimited
from mock_server.engine.faults import FaultRule, FaultTable
from mock_server.engine.ratelimit import Limit, RateLimiter
from mock_server.readiness_sessions import ReadinessSessions
from mock_server.sandbox import Sandbox, make_clock
from mock_server.settings import Settings
from mock_server.store.base import Collection, IdempotencyRecord, Workspace
from mock_server.webhooks import Delivery, Outbox


@dataclass(slots=True)
class Trace:
    """One request as the journal sees it."""

    at: float | None  # the simulated instant the request is handled at (journaled)
    moved_to: float | None = None  # where the request itself moved the clock (advance, reset)
    replaying: bool = False
    request_id: str | None = None
    fault: dict[str, Any] | None = None  # the rule that fired (live) or must fire (replay)
    limited: bool = False  # refused by the rate limiter: nothing changed
    key_read: bool = False  # an idempotency key was looked up…
    key_written: bool = False  # …and taken; read but not taken = a replay or a conflict: no change
    reset: bool = False


CURRENT: ContextVar[Trace | None] = ContextVar("batchcalls_trace", default=None)


class TracedFaults(FaultTable):
    def match(self, method: str, path: str) -> FaultRule | None:
        trace = CURRENT.get()
        if trace is not None and trace.replaying:
            return self._forced(trace.fault)
        rule = super().match(method, path)
        if rule is not None and trace is not None:
            trace.fault = rule.as_json()
        return rule

    def _forced(self, fault: dict[str, Any] | None) -> FaultRule | None:
        """The recorded outcome; a counted rule is used up as it was the first time."""
        if fault is None:
            return None
        live = self._rules.get(fault["id"])
        if live is not None and live.remaining is not None:
            live.remaining -= 1
            if live.remaining <= 0:
                del self._rules[live.id]
        return FaultRule(**{**fault, "latency_ms": 0})  # a replay does not wait


class TracedLimiter(RateLimiter):
    def hit(self, key: str) -> None:
        try:
            super().hit(key)
        except RateLimited:
            trace = CURRENT.get()
            if trace is not None:
                trace.limited = True
            raise


class TracedRecords:
    """A workspace's idempotency records that note on the trace whether a key was read or taken."""

    def __init__(self, inner: Collection[IdempotencyRecord], trace: Trace) -> None:
        self._inner = inner
        self._trace = trace

    def get(self, item_id: str) -> IdempotencyRecord | None:
        self._trace.key_read = True
        return self._inner.get(item_id)

    def put(self, item_id: str, item: IdempotencyRecord) -> None:
        self._trace.key_written = True
        self._inner.put(item_id, item)

    def delete(self, item_id: str) -> bool:
        self._trace.key_written = True
        return self._inner.delete(item_id)

    def values(self) -> Iterator[IdempotencyRecord]:
        return self._inner.values()

    def __len__(self) -> int:
        return len(self._inner)


class RecordingOutbox(Outbox):
    """Tells the journal which deliveries succeeded, so a restart does not send them again."""

    on_delivered: Callable[[Delivery], None] | None = None
    _generation = 0

    def clear(self) -> None:
        super().clear()
        self._generation += 1  # an attempt in flight across a reset belongs to the old state

    async def _attempt(self, client: httpx.AsyncClient, delivery: Delivery,
                       limit: asyncio.Semaphore, in_flight: set[str]) -> None:
        generation = self._generation
        await super()._attempt(client, delivery, limit, in_flight)
        if delivery.state == "delivered" and generation == self._generation and self.on_delivered:
            self.on_delivered(delivery)


class TracedReadiness(ReadinessSessions):
    """Readiness sessions under a state file. A challenged request changed nothing, so it is not
    journaled (as a rate-limited one); a replayed request meets no challenge and feeds no session:
    after a restart, a session re-armed by the replayed start begins afresh."""

    def challenge(
        self, workspace_id: str, request_id: str, method: str, operation_id: str, now: float
    ) -> MockError | None:
        trace = CURRENT.get()
        if trace is not None and trace.replaying:
            return None
        error = super().challenge(workspace_id, request_id, method, operation_id, now)
        if error is not None and trace is not None:
            trace.limited = True
        return error

    def observe(self, workspace_id: str, entry: dict[str, Any]) -> None:
        trace = CURRENT.get()
        if trace is None or not trace.replaying:
            super().observe(workspace_id, entry)

    def challenge_deliveries(self, real: Delivery) -> list[Delivery]:
        trace = CURRENT.get()
        return [] if trace is not None and trace.replaying else super().challenge_deliveries(real)


class RecordingSandbox(Sandbox):
    """The sandbox with pinned request time, traced outcomes and recorded catch-ups."""

    outbox: RecordingOutbox

    def __init__(self, settings: Settings, origin: float) -> None:
        self.replaying = False
        self.pending_catch_up: float | None = None  # real clock: runs since the last journaled request
        self.origin = origin  # the instant the current state began (start-up or last reset)
        token = CURRENT.set(Trace(at=origin))  # fixtures get the same created_at after a restart
        try:
            super().__init__(settings)
        finally:
            CURRENT.reset(token)
        self.outbox = RecordingOutbox(self.outbox.policy)

    def _build(self) -> None:
        super()._build()
        self.faults = TracedFaults(self.settings.seed)
        self.readiness = TracedReadiness()
        if self.settings.rate_limit and not self.replaying:
            self.rate_limiter = TracedLimiter(Limit.parse(self.settings.rate_limit))
        self.pending_catch_up = None

    def reset(self) -> None:
        trace = CURRENT.get()
        origin = make_clock(self.settings).now()
        token = CURRENT.set(Trace(at=origin))
        try:
            super().reset()
        finally:
            CURRENT.reset(token)
        self.origin = origin
        if trace is not None:
            trace.moved_to = origin
            trace.reset = True

    def now(self) -> float:
        trace = CURRENT.get()
        if trace is not None:
            if trace.moved_to is not None:
                return trace.moved_to
            if trace.at is not None:
                return trace.at
        return self.clock.now()

    def advance(self, target: float) -> int:
        ran = super().advance(target)
        trace = CURRENT.get()
        if trace is not None:
            trace.moved_to = target  # the rest of this request happens at the new time
        return ran

    def new_request_id(self) -> str:
        trace = CURRENT.get()
        if trace is not None and trace.replaying and trace.request_id:
            return trace.request_id
        request_id = super().new_request_id()
        if trace is not None:
            trace.request_id = request_id
        return request_id

    def catch_up(self) -> None:
        """Real clock: run what fell due, and remember how far, for the next journaled request."""
        if self.replaying or not isinstance(self.clock, RealClock):
            return
        target = self.now()
        self.dispatcher.run_until(target)
        pending = self.pending_catch_up
        self.pending_catch_up = target if pending is None else max(pending, target)

    def idempotency_records(self, workspace: Workspace) -> Collection[IdempotencyRecord]:
        records = super().idempotency_records(workspace)
        trace = CURRENT.get()
        if trace is None or trace.replaying:
            return records
        return TracedRecords(records, trace)
