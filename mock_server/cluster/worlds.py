"""The sandbox as an instance of a shared sandbox sees it.

Its worlds are those of the state file (pinned instants, traced outcomes) with three differences:
a replayed request is one of the trace (another instance's row applied while this one serves), the
request journal is shared through the database, and each webhook attempt is made by one instance.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from psycopg_pool import AsyncConnectionPool

from mock_server.cluster import shared_log
from mock_server.cluster.ownership import Lease
from mock_server.engine.credentials import CredentialScheme
from mock_server.engine.faults import FaultRule, FaultTable
from mock_server.engine.ratelimit import Limit
from mock_server.observe.request_journal import Journal, Raw
from mock_server.persistence.recording import (
    CURRENT,
    RecordingSandbox,
    RecordingWorld,
    TracedFaults,
    TracedLimiter,
)
from mock_server.settings import Settings
from mock_server.store.base import Workspace
from mock_server.webhooks import Attempt, Delivery, Outbox, WebhookPolicy
from mock_server.webhooks.sender import Sender
from mock_server.world import WorkspaceWorld, WorldConfig, WorldMethod

# An attempt claimed by an instance that never said how it went (killed mid-way) counts as failed
# after this long, and the next attempt is made by whichever instance claims it.
ABANDONED_AFTER_SECONDS = 30.0
CHECK_BACK_SECONDS = 1.0  # how soon an instance looks again at an attempt another one is making


def replaying() -> bool:
    """Whether the request being handled is a row of the shared log applied again."""
    trace = CURRENT.get()
    return trace is not None and trace.replaying


class SharedFaults(TracedFaults):
    """Fault rules whose random draws are the same on every instance: a request that drew (fired
    or not) is a row of its stream, and applying it draws again, exactly as the first time (the
    same rules in the same state), while the answer is the recorded one."""

    def match(self, method: str, path: str) -> FaultRule | None:
        trace = CURRENT.get()
        if trace is not None and trace.replaying:
            FaultTable.match(self, method, path)  # the draws and the counts, as the first time
            fault = trace.fault
            return None if fault is None else FaultRule(**{**fault, "latency_ms": 0})
        draws = self.draws
        rule = super().match(method, path)
        if trace is not None and self.draws != draws:
            trace.drew = True
        return rule


class SharedJournal(Journal):
    """A world's request journal whose entries go to the database; what it holds locally is what
    was read back from there, in the database's order (every instance's requests)."""

    def __init__(self, size: int, max_bytes: int, outgoing: Callable[[Raw], None]) -> None:
        super().__init__(size, max_bytes)
        self.outgoing = outgoing
        self.read_up_to = 0  # the id of the last database entry read back

    def record(self, entry: Raw) -> None:
        self.outgoing(entry)

    def absorb(self, entry: Raw) -> None:
        super().record(entry)


class ClusterWorld(RecordingWorld):
    """A world whose log lives in PostgreSQL: `position` is the last row of its stream applied."""

    _ATTACHED = (*RecordingWorld._ATTACHED, "outgoing", "lease", "used_at")

    def __init__(self, *args: Any, outgoing: Callable[[str, Raw], None], **kwargs: Any) -> None:
        self.outgoing = outgoing
        self.position = 0
        # with `--ownership`: the lease this copy was caught up under (it is the log's while it holds)
        self.lease: Lease | None = None
        self.used_at = time.monotonic()  # when a request of this process last used it (`--idle-evict`)
        super().__init__(*args, replaying=replaying, **kwargs)

    def new_journal(self) -> Journal:
        outgoing = WorldMethod(self, "_send_exchange")  # (not a bound method: no reference cycle)
        return SharedJournal(self.shared.journal_size, self.shared.journal_max_bytes, outgoing)

    def new_fault_table(self, seed: int) -> FaultTable:
        return SharedFaults(seed)

    def rebuild_rate_limiter(self) -> None:
        """Always there (a world created or reset by a replayed row serves live requests next);
        a replayed request passes it (`TracedLimiter.hit`)."""
        limit = self.shared.rate_limit
        self.rate_limiter = TracedLimiter(Limit.parse(limit)) if limit else None

    def _send_exchange(self, entry: Raw) -> None:
        self.outgoing(self.id, entry)

    def snapshot(self) -> bytes:
        """This world and its deliveries, after row `position` (between requests)."""
        return pickle.dumps((self, self.outbox.deliveries(self.id)), protocol=pickle.HIGHEST_PROTOCOL)


class DormantWorld(ClusterWorld):
    """A workspace whose world is not in this process's memory (`--ownership`): another instance
    serves it, or it went unused for `--idle-evict`. It keeps what names and lists the workspace
    (its keys, config and clock); its state is the log's, and the next catch-up of its stream brings
    it back (`ClusterSandbox.wake`, or the stream's snapshot). Nothing is handled by it."""

    in_memory = False
    position = -1  # before any row or snapshot: the next catch-up starts from the latest snapshot
    lease = None
    readiness = None
    rate_limiter = None
    # A request of the sandbox's own stream that carries the workspace's credentials names it without
    # catching it up: no fault rule of it fires there (a rule is drawn where the workspace is served)
    faults = FaultTable(0)

    def __init__(self, world: ClusterWorld) -> None:  # noqa: D107 - no world is built
        self.workspace, self.config, self.shared = world.workspace, world.config, world.shared
        self.created_at, self.clock, self.used_at = world.created_at, world.clock, world.used_at
        self.writes, self.incarnation = world.writes, world.incarnation
        self.outgoing = world.outgoing
        self._next_due = world.next_due()

    @property
    def journal(self) -> Journal:  # type: ignore[override]
        """Keeps nothing: what is journaled of it goes to the database, as its owner's entries do."""
        return self.new_journal()

    def next_due(self) -> float | None:
        return self._next_due

    def catch_up(self) -> None:
        """Nothing runs here: its events run where it is served."""

    def note_write(self) -> None:
        self.writes += 1


class ClusterOutbox(Outbox):
    """Every instance applies every row, so every instance queues every delivery; each attempt is
    claimed in the database first, and only the instance that claimed it makes it. The others read
    its outcome from there."""

    def __init__(self, policy: WebhookPolicy, claims: AttemptClaims) -> None:
        super().__init__(policy, claims.sandbox.has_world)
        self.claims = claims

    async def _attempt(self, sender: Sender, delivery: Delivery) -> None:
        number = len(delivery.attempts) + 1
        key = self.claims.key_of(delivery, number)
        if key is None:  # its world was reset meanwhile: nothing to send
            delivery.state = "answered"
            return
        try:
            mine = await self.claims.claim(key)
        except Exception:  # noqa: BLE001 - the database is away: look again later
            delivery.next_attempt_at = time.monotonic() + CHECK_BACK_SECONDS
            return
        if mine:
            await self._post(sender, delivery)
            made = delivery.attempts[-1]
            outcome = {"at": made.at, "status_code": made.status_code, "error": made.error,
                       "answered_in_seconds": made.answered_in_seconds}
            await self.claims.settle(key, orjson.dumps(outcome))
        else:
            await self._follow(key, delivery, number)

    async def _follow(self, key: str, delivery: Delivery, number: int) -> None:
        """Another instance claimed this attempt: take its outcome once known."""
        try:
            found = await self.claims.attempt(key)
        except Exception:  # noqa: BLE001
            found = None
        if found is not None and found[2] is not None:
            made = orjson.loads(found[2])
            self.conclude(delivery, Attempt(number, made["at"], made["status_code"], made["error"],
                                            made["answered_in_seconds"]))
        elif found is not None and time.time() - found[1] > ABANDONED_AFTER_SECONDS:
            self.conclude(delivery, Attempt(number, found[1], None, f"abandoned by instance {found[0]}"))
        else:
            delivery.next_attempt_at = time.monotonic() + CHECK_BACK_SECONDS


class AttemptClaims:
    """Where the outbox claims attempts (the database, once the pool is open), and their keys."""

    def __init__(self, sandbox: ClusterSandbox, instance: str) -> None:
        self.sandbox = sandbox
        self.instance = instance
        self.pool: AsyncConnectionPool | None = None

    def key_of(self, delivery: Delivery, number: int) -> str | None:
        world = self.sandbox.worlds.get(delivery.workspace_id)
        if world is None:
            return None
        return f"{self.sandbox.generation}/{world.id}/{world.incarnation}/{delivery.id}/{number}"

    def _pool(self) -> AsyncConnectionPool:
        if self.pool is None:
            raise RuntimeError("the shared store is not open yet")
        return self.pool

    async def claim(self, key: str) -> bool:
        async with self._pool().connection() as db:
            return await shared_log.claim(db, key, self.instance, time.time())

    async def settle(self, key: str, outcome: bytes) -> None:
        async with self._pool().connection() as db:
            await shared_log.settle(db, key, outcome)

    async def attempt(self, key: str) -> tuple[str, float, bytes | None] | None:
        async with self._pool().connection() as db:
            return await shared_log.attempt(db, key)


class ClusterSandbox(RecordingSandbox):
    """One instance's copy of the shared sandbox."""

    outbox: ClusterOutbox  # type: ignore[assignment]

    def __init__(self, settings: Settings, schemes: Sequence[CredentialScheme], origin: float, salt: str,
                 generation: int, instance: str) -> None:
        self.generation = generation
        self.claims = AttemptClaims(self, instance)
        self.exchanges: list[tuple[str, Raw]] = []  # request journal entries not yet in the database
        # `--ownership`: a workspace another instance created is dormant here until this one serves it
        self.dormant_creations = settings.ownership
        self.replayed_creations: list[str] = []  # created by rows applied (`take_replayed_creations`)
        super().__init__(settings, schemes, origin, salt)
        self.position = 0  # the last row of the sandbox's own stream ('') applied

    @property
    def latency_seconds(self) -> float:
        """No simulated latency for a row applied again."""
        return 0.0 if replaying() else self._latency

    @latency_seconds.setter
    def latency_seconds(self, value: float) -> None:
        self._latency = value

    def new_outbox(self, policy: WebhookPolicy) -> ClusterOutbox:  # type: ignore[override]
        return ClusterOutbox(policy, self.claims)

    def new_world(self, workspace: Workspace, config: WorldConfig) -> WorkspaceWorld:
        world = ClusterWorld(
            workspace, config, self.shared, self.outbox, self.creation_instant, self.wakeups.note,
            outgoing=self._exchange,
        )
        if self.dormant_creations and replaying():
            self.replayed_creations.append(workspace.id)
        return world

    def put_to_sleep(self, world: ClusterWorld) -> DormantWorld:
        """The world leaves memory (the log holds it); nothing of it is due or waits to be sent. Never
        the default world: the sandbox's own requests use it, not caught up."""
        if world is self.default_world:
            raise ValueError("the default workspace's world stays in memory")
        dormant = DormantWorld(world)
        self.register(dormant)
        self.wakeups.forget(world.id)
        self.outbox.forget(world.id)
        return dormant

    def wake(self, dormant: DormantWorld) -> ClusterWorld:
        """A dormant workspace's world as its creation made it (row 0 of its stream: the rows after
        it are applied next)."""
        world = ClusterWorld(
            dormant.workspace, dormant.config, self.shared, self.outbox, lambda: dormant.created_at,
            self.wakeups.note, outgoing=self._exchange,
        )
        world.wall_clock = self.creation_instant  # (its resets' instants are those of their rows)
        self._replace(world)
        return world

    def _replace(self, world: ClusterWorld) -> None:
        self.register(world)
        if world.id == self.default_world.id:
            self.default_world = world

    def take_replayed_creations(self) -> list[str]:
        """The workspaces rows applied since the last call created (their ids)."""
        found, self.replayed_creations = self.replayed_creations, []
        return found

    def _exchange(self, world_id: str, entry: Raw) -> None:
        self.exchanges.append((world_id, entry))

    def restart(self, origin: float, salt: str, generation: int) -> None:
        """Back to the state the generation began with: its rows are applied again from there.
        Request journal entries not written yet of an earlier generation are gone with it."""
        if generation != self.generation:
            self.exchanges = []
        self.origin, self.salt, self.generation = origin, salt, generation
        self._start()

    def _start(self) -> None:
        super()._start()
        self.position = 0
        self.replayed_creations = []  # (the default world, made here, is never dormant)

    def restore_world(self, blob: bytes, position: int) -> ClusterWorld:
        """A world from its snapshot in the database (written by an instance of this sandbox)."""
        world, deliveries = pickle.loads(blob)  # noqa: S301 - the sandbox's own database
        assert isinstance(world, ClusterWorld)
        world.attach(self.outbox, self.creation_instant, self.wakeups.note)
        world.replaying = replaying
        world.outgoing = self._exchange
        world.lease = None
        world.position = position
        world.used_at = time.monotonic()
        self.outbox.forget(world.id)
        for delivery in deliveries:
            delivery.next_attempt_at = 0.0
            self.outbox.enqueue(delivery)
        self._replace(world)
        return world
