"""One workspace's world: everything a workspace owns, so that no tenant can move another.

A world has its own clock (manual or real, speed, start), its own random streams (ids, call
outcomes, probabilistic faults) derived from its seed, its own store, dispatcher, fault rules,
rate-limit window, idempotency records, event log and webhook receiver. What one world does never
changes what another sees: a partner's test is reproducible on a shared sandbox.
"""

from __future__ import annotations

import hashlib
import time
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from mock_server.core.clock import Clock, ManualClock, RealClock
from mock_server.core.dispatcher import Dispatcher
from mock_server.core.events import DomainEvent
from mock_server.core.ids import IdFactory
from mock_server.core.outcomes import SimulationConfig
from mock_server.core.quotas import Quotas
from mock_server.core.timefmt import LATEST, timestamp
from mock_server.engine.credentials import Credential, CredentialScheme
from mock_server.engine.faults import FaultTable
from mock_server.engine.idempotency import KeptRecords, Records
from mock_server.engine.kept import json_to_keep
from mock_server.engine.ratelimit import Limit, RateLimiter
from mock_server.fixtures import seed_workspace
from mock_server.observe.request_journal import DEFAULT_SIZE, MAX_BYTES, Journal
from mock_server.readiness_session import ReadinessSession
from mock_server.store.base import Store, Workspace
from mock_server.store.memory import MemoryStore
from mock_server.webhooks import Delivery, Outbox

ClockMode = Literal["real", "manual"]


def derive_seed(seed: int, *parts: object) -> int:
    """A 63-bit seed of its own for one use of one world (stable across runs and platforms)."""
    text = "/".join(str(p) for p in (seed, *parts)).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "big") >> 1


@dataclass(frozen=True, slots=True)
class WorldConfig:
    """What a world is created with: from the CLI flags (default workspace) or POST /_mock/workspaces."""

    seed: int
    clock: ClockMode = "real"
    speed: float = 1.0
    start_at: float | None = None  # simulated start, POSIX seconds; None = the moment of creation
    webhook_url: str | None = None


@dataclass(frozen=True, slots=True)
class SharedSettings:
    """What every world of one sandbox shares (the sandbox's flags)."""

    cost_per_minute_usd: float = 0.12
    retry_delay_seconds: int = 3600
    rate_limit: str | None = None
    live_edits: bool = False
    journal_size: int = DEFAULT_SIZE  # entries of each world's request journal
    max_idempotency_keys: int = 10_000
    max_idempotency_bytes: int = 16 * 1_048_576
    max_events: int = 10_000
    journal_max_bytes: int = MAX_BYTES  # bytes each world's request journal holds, all counted
    quotas: Quotas = Quotas()  # the most each world's public store holds


def start_instant(config: WorldConfig, created_at: float) -> float:
    """Where a world's clock starts: its start_at, else the whole second it was created in."""
    return config.start_at if config.start_at is not None else float(int(created_at))


def make_clock(config: WorldConfig, start: float, created_at: float) -> Clock:
    """The clock of a world created (or reset) at wall-clock `created_at`: a real one reads `start`
    then, not when it is built (a cluster's instance applying the creation later builds it later)."""
    if config.clock == "manual":
        return ManualClock(start)
    return RealClock(config.speed, start, wall_origin=created_at)


class ClockLimitExceeded(ValueError):
    """The clock would move past what timestamps can express (year 9999)."""


class WorkspaceWorld:
    """The world of one workspace. Its keys survive a reset; everything else starts again."""

    readiness_kind: type[ReadinessSession] = ReadinessSession
    in_memory = True  # its state is in this process's memory (not so a cluster's dormant world)

    def __init__(
        self,
        workspace: Workspace,
        config: WorldConfig,
        shared: SharedSettings,
        outbox: Outbox,
        wall_clock: Callable[[], float] = time.time,
        on_change: Callable[[WorkspaceWorld], None] = lambda world: None,
    ) -> None:
        self.workspace = workspace
        self.config = config
        self.shared = shared
        self.outbox = outbox
        self.wall_clock = wall_clock  # when the world is created or reset (pinned by the state file)
        self.on_change = on_change  # told when the world's next due event may have moved
        self.live_edits = shared.live_edits
        self.quotas = shared.quotas
        self.writes = 0  # requests that may have changed this world; never reset: versions never repeat
        self.incarnation = 0  # resets so far: what was sent before a reset is not what is sent after
        self.events_run = 0
        self._build()

    @property
    def id(self) -> str:
        return self.workspace.id

    # what ties a world to its sandbox is not part of its state (a snapshot pickles the state), nor
    # is the request journal: what clients sent this process; a restart begins it empty, as a replay
    _ATTACHED: tuple[str, ...] = ("outbox", "wall_clock", "on_change", "journal")

    def __getstate__(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k not in self._ATTACHED}
        state["readiness"] = None  # a readiness session watches a live client: no restart keeps it
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.journal = self.new_journal()

    def attach(
        self, outbox: Outbox, wall_clock: Callable[[], float], on_change: Callable[[WorkspaceWorld], None]
    ) -> None:
        """Tie a world restored from a snapshot to its sandbox."""
        self.outbox = outbox
        self.wall_clock = wall_clock
        self.on_change = on_change

    def _build(self) -> None:
        seed = self.config.seed
        self.created_at = self.wall_clock()
        self.started_at = start_instant(self.config, self.created_at)
        self.clock = make_clock(self.config, self.started_at, self.created_at)
        self.ids = IdFactory(derive_seed(seed, "ids"))
        self.store: Store = MemoryStore(max_events=self.shared.max_events)
        self.store.add_workspace(self.workspace)
        self.events_dropped = 0  # the oldest events the log let go past `max_events`
        self.idempotency = KeptRecords(self.shared.max_idempotency_keys, self.shared.max_idempotency_bytes)
        self.faults = self.new_fault_table(derive_seed(seed, "faults"))
        limit = self.shared.rate_limit
        self.rate_limiter = RateLimiter(Limit.parse(limit)) if limit else None
        self.workspace.webhook_url = self.config.webhook_url
        # a reset empties the journal too: a test that resets first reads only its own requests
        self.journal = self.new_journal()
        self.workspace.fail_next_schedule = False
        self.outbox.forget(self.workspace.id)
        config = SimulationConfig(
            cost_per_minute_usd=self.shared.cost_per_minute_usd,
            retry_delay_seconds=self.shared.retry_delay_seconds,
        )
        self.dispatcher = Dispatcher(
            seed=derive_seed(seed, "outcomes"), config=config, emit=WorldMethod(self, "_record"), ids=self.ids
        )
        seed_workspace(self.store, self.workspace, self.started_at)
        self.readiness: ReadinessSession | None = None  # a reset ends a readiness session

    def start_readiness(self) -> ReadinessSession:
        """Arm a client readiness session (again: start a new one): it grades what the journal records
        from now on, and the deliveries queued from now on."""
        earlier = frozenset(d.id for d in self.outbox.deliveries(self.id))
        self.readiness = self.readiness_kind(
            self.id, time.time(), self.journal, self.journal.end, earlier,
            receiver_seen=self.workspace.webhook_url is not None,
        )
        return self.readiness

    def new_fault_table(self, seed: int) -> FaultTable:
        return FaultTable(seed)

    def new_journal(self) -> Journal:
        return Journal(self.shared.journal_size, self.shared.journal_max_bytes)

    def reset(self) -> None:
        """Back to a fresh world with the same config and keys (webhook secret included)."""
        self.writes += 1
        self.incarnation += 1
        self._build()
        self.on_change(self)

    # what the engine and the services need ---------------------------------------------------
    def now(self) -> float:
        return self.clock.now()

    def new_id(self, prefix: str) -> str:
        return self.ids.new(prefix)

    def note_write(self) -> None:
        """A request that may have changed this world was answered."""
        self.writes += 1
        self.on_change(self)

    def state_version(self) -> tuple[int, int]:
        """Changes whenever the world may have: a write was answered or a simulated event ran."""
        return self.writes, self.events_run

    def catch_up(self) -> None:
        """Real clock: run what fell due before answering a request, or when the pump wakes us."""
        if isinstance(self.clock, RealClock):
            self.run_until(self.clock.now())

    def run_until(self, target: float) -> int:
        ran = self.dispatcher.run_until(target)
        self.events_run += ran
        return ran

    def next_due(self) -> float | None:
        return self.dispatcher.next_due()

    def advance(self, target: float) -> int:
        """Manual clock: move to `target`, running every due event in time order on the way."""
        if not isinstance(self.clock, ManualClock):
            raise ValueError("the clock is in real mode; advance works in manual mode only")
        if target >= LATEST:
            raise ClockLimitExceeded("the clock cannot reach 9999-01-01T00:00:00Z, the end of the calendar")
        ran = self.run_until(target)
        self.clock.advance_to(target)
        self.on_change(self)
        return ran

    def idempotency_records(self) -> Records:
        return self.idempotency

    def events(self) -> deque[dict[str, Any]]:
        return self.store.events(self.workspace.id)

    def clock_json(self) -> dict[str, Any]:
        return {
            "mode": self.clock.mode,
            "now": timestamp(self.now()),
            "speed": self.clock.speed if isinstance(self.clock, RealClock) else 1.0,
            "next_event_at": timestamp(self.next_due()),
        }

    def _record(self, event: DomainEvent) -> None:
        """Log the event, and queue it for the workspace's webhook receiver if it has one."""
        entry: dict[str, Any] = {
            "id": self.new_id("evt"),
            "event": event.type,
            "timestamp": timestamp(event.at),
            "data": event.data,
        }
        if event.type == "call.started":  # a call may open a day of the batch's analytics
            self._weigh_again(event.data["batch_id"])
        log = self.events()
        if len(log) == log.maxlen:
            self.events_dropped += 1
        log.append(entry)
        workspace = self.workspace
        if workspace.webhook_url:
            delivery = Delivery(
                id=self.new_id("whd"),
                workspace_id=workspace.id,
                event_id=entry["id"],
                event_type=event.type,
                url=workspace.webhook_url,
                secret=workspace.webhook_secret,
                body=json_to_keep(entry),
            )
            self.outbox.enqueue(delivery)
            if self.readiness is not None:  # with the first real delivery, the forged ones
                for challenge in self.readiness.challenge_deliveries(delivery):
                    self.outbox.enqueue(challenge)


    def _weigh_again(self, batch_id: str) -> None:
        batches = self.store.batches(self.workspace.id)
        batch = batches.get(batch_id)
        if batch is not None:
            batches.put(batch_id, batch)


class WorldDirectory(Protocol):
    """Where a dialect finds the world of a request's credentials (the sandbox)."""

    def world_for(self, scheme: CredentialScheme, credential: Credential) -> WorkspaceWorld | None: ...


class WorldMethod:
    """`world.<method>` as a callable that does not keep the world alive, for what the world itself
    holds (its dispatcher's event sink, a cluster world's journal's way out). A bound method would
    make a reference cycle (the world holds the holder, which would hold the world): a world
    dropped (its workspace deleted, its state restored over, evicted from memory) would then wait,
    with everything it holds, for a full garbage collection, which `serve`'s collector policy runs
    only once the heap grew 16-fold (mock_server/heap.py). Pickled with the world it names."""

    __slots__ = ("_world", "_method")

    def __init__(self, world: WorkspaceWorld, method: str) -> None:
        self._world = weakref.ref(world)
        self._method = method

    def __call__(self, *args: Any) -> None:
        world = self._world()
        if world is not None:  # (a world is gone only once nothing holds it: nothing runs it)
            getattr(world, self._method)(*args)

    def __reduce__(self) -> tuple[type[WorldMethod], tuple[WorkspaceWorld | None, str]]:
        return WorldMethod, (self._world(), self._method)
