"""The sandbox as the journal needs it.

Replaying the journal in order must rebuild the state exactly, so each request is handled at one
pinned simulated instant, and whatever depends on how concurrent requests interleaved is noted on
the request's `Trace`: the fault rule that fired, a rate-limit refusal, an idempotency key found
taken. A replay forces the noted outcome instead of drawing it again.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from mock_server.core.clock import RealClock
from mock_server.core.errors import MockError, RateLimited
from mock_server.engine.credentials import CredentialScheme
from mock_server.engine.faults import FaultRule, FaultTable
from mock_server.engine.idempotency import IdempotencyRecord, Records
from mock_server.engine.incoming import changes_state
from mock_server.engine.ratelimit import Limit, RateLimiter
from mock_server.readiness_session import ReadinessSession
from mock_server.sandbox import Sandbox
from mock_server.settings import Settings
from mock_server.store.base import Workspace
from mock_server.webhooks import Delivery, Outbox, WebhookPolicy
from mock_server.webhooks.sender import Sender
from mock_server.world import WorkspaceWorld, WorldConfig


@dataclass(slots=True)
class Trace:
    """One request as the journal sees it."""

    wall: float  # the wall-clock instant it is handled at: when a world it creates or resets begins
    world_id: str | None = None  # the world its credentials name (time is pinned in that world only)
    at: float | None = None  # the simulated instant of that world it is handled at (journaled)
    moved_to: float | None = None  # where the request itself moved the world's clock (advance, reset)
    replaying: bool = False
    request_id: str | None = None
    fault: dict[str, Any] | None = None  # the rule that fired (live) or must fire (replay)
    limited: bool = False  # refused by the rate limiter: nothing changed
    key_read: bool = False  # an idempotency key was looked up…
    key_written: bool = False  # …and taken; read but not taken = a replay or a conflict: no change
    reset: bool = False  # the whole sandbox was reset: nothing before it matters
    world_reset: bool = False  # its world was reset (its request journal starts again)
    salt: str | None = None  # the secret of workspace keys a reset of everything drew (or must use)
    drew: bool = False  # a probabilistic fault rule drew a number for it (fired or not)
    hits: int | None = None  # requests of its workspace in the rate-limit window, this one included
    # (counted in PostgreSQL, shared by every instance); None: counted by this process


def journaled(method: str, trace: Trace) -> bool:
    """Whether a handled request goes into the journal: it may have changed state. Refused (rate
    limit, readiness challenge), replayed or conflicting idempotent requests changed nothing; a
    read did not, unless a fault rule fired on it (a counted rule is used up, the stream moves)."""
    if trace.limited or (trace.key_read and not trace.key_written):
        return False
    return changes_state(method) or trace.fault is not None or trace.drew


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
        trace = CURRENT.get()
        if trace is not None and trace.replaying:
            return  # a replayed request was not refused (a refused one is not journaled)
        try:
            if trace is not None and trace.hits is not None:
                self.check(trace.hits)
            else:
                super().hit(key)
        except RateLimited:
            if trace is not None:
                trace.limited = True
            raise


class TracedRecords:
    """A workspace's idempotency records that note on the trace whether a key was read or taken."""

    def __init__(self, inner: Records, trace: Trace) -> None:
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

    def forget_expired(self, now: float) -> None:
        """Not noted: which expired records are still held changes no answer (they are the oldest,
        so the bounds drop them first anyway)."""
        self._inner.forget_expired(now)

    def values(self) -> Iterator[IdempotencyRecord]:
        return self._inner.values()

    def __len__(self) -> int:
        return len(self._inner)


class RecordingOutbox(Outbox):
    """Tells the journal which deliveries succeeded, so a restart does not send them again."""

    on_delivered: Callable[[Delivery], None] | None = None
    delivered_before: frozenset[str] = frozenset()  # while replaying: ids the journal says delivered
    _generation = 0

    def enqueue(self, delivery: Delivery) -> None:
        if delivery.id in self.delivered_before:
            delivery.state = "delivered"  # kept in the history, not sent (nor counted as waiting)
        super().enqueue(delivery)

    def clear(self) -> None:
        super().clear()
        self._generation += 1  # an attempt in flight across a reset belongs to the old state

    async def _attempt(self, sender: Sender, delivery: Delivery) -> None:
        generation = self._generation
        await super()._attempt(sender, delivery)
        if delivery.state == "delivered" and generation == self._generation and self.on_delivered:
            self.on_delivered(delivery)


class TracedReadiness(ReadinessSession):
    """A readiness session under a state file: a challenged request changed nothing, so it is not
    journaled (as a rate-limited one). Replay re-arms no session (`RecordingWorld.start_readiness`),
    so a replayed request meets no challenge."""

    def challenge(self, request_id: str, method: str, operation_id: str, now: float) -> MockError | None:
        error = super().challenge(request_id, method, operation_id, now)
        trace = CURRENT.get()
        if error is not None and trace is not None:
            trace.limited = True
        return error


class RecordingWorld(WorkspaceWorld):
    """A world whose requests are each handled at one pinned instant, with traced outcomes and
    recorded catch-ups."""

    readiness_kind = TracedReadiness
    _ATTACHED = (*WorkspaceWorld._ATTACHED, "replaying")

    def __init__(self, *args: Any, replaying: Callable[[], bool], **kwargs: Any) -> None:
        self.replaying = replaying
        self.pending_catch_up: float | None = None  # real clock: runs since its last journaled request
        super().__init__(*args, **kwargs)

    def _build(self) -> None:
        super()._build()
        self.rebuild_rate_limiter()
        self.pending_catch_up = None

    def rebuild_rate_limiter(self) -> None:
        """Traced; none while replaying (a replayed request was not refused, or it was not journaled)."""
        limit = self.shared.rate_limit
        self.rate_limiter = TracedLimiter(Limit.parse(limit)) if limit and not self.replaying() else None

    def new_fault_table(self, seed: int) -> FaultTable:
        return TracedFaults(seed)

    def _trace(self) -> Trace | None:
        """The current request's trace, if the request belongs to this world."""
        trace = CURRENT.get()
        return trace if trace is not None and trace.world_id == self.id else None

    def now(self) -> float:
        trace = self._trace()
        if trace is None:
            return self.clock.now()
        if trace.moved_to is not None:
            return trace.moved_to
        if trace.at is None:
            trace.at = self.clock.now()
        return trace.at

    def reset(self) -> None:
        super().reset()
        trace = self._trace()
        if trace is not None:
            trace.moved_to = self.started_at
            trace.world_reset = True

    def advance(self, target: float) -> int:
        ran = super().advance(target)
        trace = self._trace()
        if trace is not None:
            trace.moved_to = target  # the rest of this request happens at the new time
        return ran

    def catch_up(self) -> None:
        """Real clock: run what fell due, and remember how far, for its next journaled request."""
        if self.replaying() or not isinstance(self.clock, RealClock):
            return
        target = self.now()
        self.run_until(target)
        pending = self.pending_catch_up
        self.pending_catch_up = target if pending is None else max(pending, target)

    def start_readiness(self) -> ReadinessSession:
        """A session watches a live client: the replayed start of one arms nothing."""
        session = super().start_readiness()
        if self.replaying():
            self.readiness = None
        return session

    def idempotency_records(self) -> Records:
        records = super().idempotency_records()
        trace = CURRENT.get()
        if trace is None or trace.replaying:
            return records
        return TracedRecords(records, trace)


class RecordingSandbox(Sandbox):
    """The sandbox whose worlds record: pinned instants, traced outcomes, recorded catch-ups."""

    outbox: RecordingOutbox

    def __init__(
        self, settings: Settings, schemes: Sequence[CredentialScheme], origin: float, salt: str
    ) -> None:
        self.replaying = False
        self.origin = origin  # the wall-clock instant the current state began (first start or full reset)
        super().__init__(settings, schemes, salt)

    def new_outbox(self, policy: WebhookPolicy) -> RecordingOutbox:
        return RecordingOutbox(policy, self.has_world)

    def new_world(self, workspace: Workspace, config: WorldConfig) -> WorkspaceWorld:
        return RecordingWorld(
            workspace, config, self.shared, self.outbox, self.creation_instant, self.wakeups.note,
            replaying=lambda: self.replaying,
        )

    def creation_instant(self) -> float:
        trace = CURRENT.get()
        return trace.wall if trace is not None else self.origin

    def reset_all(self) -> None:
        trace = CURRENT.get()
        if trace is not None:
            self.origin = trace.wall
            trace.reset = True
        super().reset_all()

    def new_salt(self) -> str:
        """A replayed reset of everything draws the salt it drew the first time."""
        trace = CURRENT.get()
        if trace is not None and trace.replaying and trace.salt is not None:
            return trace.salt
        salt = super().new_salt()
        if trace is not None:
            trace.salt = salt
        return salt

    def new_request_id(self) -> str:
        trace = CURRENT.get()
        if trace is not None and trace.replaying and trace.request_id:
            return trace.request_id
        request_id = super().new_request_id()
        if trace is not None:
            trace.request_id = request_id
        return request_id

    def recording_worlds(self) -> list[RecordingWorld]:
        return [w for w in self.worlds.values() if isinstance(w, RecordingWorld)]

    # snapshots ---------------------------------------------------------------------------------
    def snapshot(self) -> bytes:
        """Every world, the stream of workspace keys and the pending deliveries, as one pickle.
        Taken between requests (none half-handled), so it equals replaying the rows so far."""
        state = {
            "origin": self.origin,
            "credentials": self.credentials,
            "salt": self.salt,
            "keys": self.keys,
            "worlds": list(self.worlds.values()),
            "default": self.default_world.id,
            "deliveries": self.outbox.all(),
        }
        return pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)

    def restore(self, blob: bytes) -> None:
        """The state of a snapshot (this process's own state file: a trusted pickle)."""
        state = pickle.loads(blob)  # noqa: S301 - written by this sandbox into its own state file
        self.origin = state["origin"]
        self.credentials = state["credentials"]
        self.salt = state["salt"]
        self.keys = state["keys"]
        self.forget_worlds()
        self.wakeups.clear()
        self.outbox.clear()
        for world in state["worlds"]:
            world.attach(self.outbox, self.creation_instant, self.wakeups.note)
            world.replaying = lambda: self.replaying
            self.register(world)
        self.default_world = self.worlds[state["default"]]
        for delivery in state["deliveries"]:
            delivery.next_attempt_at = 0.0  # a monotonic moment of the process that wrote it
            self.outbox.enqueue(delivery)
