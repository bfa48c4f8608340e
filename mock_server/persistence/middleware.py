"""`--state-file`: journal every request that changed state, and replay the journal at start-up.

The sandbox is deterministic given its settings, the requests that changed state in the order they
were handled, and the simulated instant each was handled at. So the state file holds exactly that,
and a restart feeds the requests back through the same ASGI app, each at its recorded instant, to
rebuild the state it stood in. See docs/ARCHITECTURE.md ("Persistence").
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import secrets
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server.core.clock import RealClock
from mock_server.core.ids import IdFactory
from mock_server.engine.credentials import CredentialScheme
from mock_server.engine.header_limits import refusal
from mock_server.engine.router import request_path
from mock_server.persistence.recording import CURRENT, RecordingSandbox, RecordingWorld, Trace, journaled
from mock_server.persistence.replay import header_map, replay
from mock_server.persistence.state_file import FORMAT, Entry, StateFile
from mock_server.settings import Settings
from mock_server.webhooks import Delivery
from mock_server.world import WorkspaceWorld, derive_seed


class StateFileMismatch(ValueError):
    """The state file was written with settings that would replay into a different state."""


# Settings a replay does not depend on: they may change between runs on the same state file.
FREE_SETTINGS = frozenset({
    "speed", "latency_ms", "rate_limit", "webhook_retry_base_seconds", "state_file", "snapshot_every",
    "journal_size", "journal_max_bytes", "log_format", "quiet", "store", "workers", "listen_host",
    "allowed_hosts", "ownership", "advertise_url", "lease_seconds", "idle_evict", "head_timeout",
    "access_log_thread",
})
SECRET_SETTINGS = frozenset({"admin_token", "zudu_secret"})


def setting_differences(found: dict[str, Any], expected: dict[str, Any], kept_in: str) -> str:
    """The settings `found` in a state file or store that differ from these (`""`: none), as
    "name: file 1, now 2"; a setting it holds that is free now (an older version's) is no difference."""
    names = [*expected, *(name for name in found if name not in expected and name not in FREE_SETTINGS)]
    return ", ".join(f"{name}: {kept_in} {found.get(name)!r}, now {expected.get(name)!r}"
                     for name in names if found.get(name) != expected.get(name))


def fingerprint(settings: Settings) -> dict[str, Any]:
    """Every other setting, files by their content and secrets by their hash."""
    found: dict[str, Any] = {"format": FORMAT}
    for item in dataclasses.fields(settings):
        name, value = item.name, getattr(settings, item.name)
        if name in FREE_SETTINGS:
            continue
        if isinstance(value, Path):
            value = hashlib.sha256(value.read_bytes()).hexdigest() if value.exists() else None
        elif name in SECRET_SETTINGS and value is not None:
            value = hashlib.sha256(str(value).encode()).hexdigest()
        elif isinstance(value, frozenset | set):
            value = sorted(value)
        elif isinstance(value, tuple):
            value = list(value)
        found[name] = value
    return found


@dataclasses.dataclass(slots=True)
class ReplayReport:
    snapshot_seq: int | None = None  # the snapshot it started from
    requests: int = 0
    seconds: float = 0.0
    mismatches: list[int] = dataclasses.field(default_factory=list)  # seqs answered differently


class Persistence:
    """The state file of one app: the recording sandbox, the journal, replay and the heartbeat."""

    def __init__(self, settings: Settings, schemes: Sequence[CredentialScheme]) -> None:
        assert settings.state_file is not None
        self.journal = StateFile(settings.state_file)
        expected = fingerprint(settings)
        stored = self.journal.meta("settings")
        differences = "" if stored is None else setting_differences(orjson.loads(stored), expected, "file")
        if differences:
            self.journal.close()
            raise StateFileMismatch(
                f"{settings.state_file} was written with other settings ({differences}); "
                "start with the same flags, or use another state file"
            )
        origin_text = self.journal.meta("origin")
        origin = float(origin_text) if origin_text is not None else time.time()
        salt = self.journal.meta("salt") or secrets.token_hex(16)  # the secret of workspace keys
        starts = int(self.journal.meta("starts") or "0") + 1
        self.journal.initialise({"settings": orjson.dumps(expected).decode(), "origin": repr(origin),
                                 "starts": str(starts), "salt": salt})
        self.sandbox = RecordingSandbox(settings, schemes, origin, salt)
        if starts > 1:  # request ids of this run must not repeat those of the runs before
            self.sandbox.request_ids = IdFactory(derive_seed(settings.seed, "requests", starts))
        self.sandbox.outbox.on_delivered = self._delivered
        self.report = ReplayReport()
        # rows between two snapshots: a restart replays at most about this many (~200 µs each), and
        # a snapshot (a pickle of every world, taken on the event loop) is amortised over as many
        self.snapshot_every = settings.snapshot_every
        self.rows_since_snapshot = 0
        self.in_flight = 0  # requests inside the app: a snapshot waits until only the recording one is
        self.app: ASGIApp | None = None
        self._ready = False
        self._lock = asyncio.Lock()
        self._delivered_ids: list[str] = []

    # start-up --------------------------------------------------------------------------------
    async def ready(self) -> None:
        """Replay the journal once (at start-up, or at the first request without a lifespan)."""
        if self._ready:
            return
        async with self._lock:
            if not self._ready:
                await self._replay()
                self.journal.start()
                self._ready = True

    async def _replay(self) -> None:
        assert self.app is not None, "attach the app first"
        sandbox = self.sandbox
        started = time.perf_counter()
        latency, sandbox.latency_seconds = sandbox.latency_seconds, 0.0
        sandbox.replaying = True
        # replayed events queue their deliveries again: those delivered before are not sent again
        sandbox.outbox.delivered_before = frozenset(self.journal.delivered())
        last: dict[str, float] = {}  # world id -> the latest instant its rows were handled at
        after = 0
        snapshot = self.journal.snapshot()
        if snapshot is not None:
            after, blob = snapshot
            sandbox.restore(blob)
            self.report.snapshot_seq = after
        try:
            for entry in self.journal.entries(after):
                world = sandbox.world_of(header_map(entry.headers))
                if world is not None and entry.catch_up is not None:
                    world.run_until(entry.catch_up)
                if await self._replay_one(entry, world) != entry.status:
                    self.report.mismatches.append(entry.seq)
                self.report.requests += 1
                if world is not None:
                    seen = [t for t in (entry.at, entry.catch_up, last.get(world.id)) if t is not None]
                    if seen:
                        last[world.id] = max(seen)
        finally:
            sandbox.replaying = False
            sandbox.latency_seconds = latency
            sandbox.outbox.delivered_before = frozenset()
        for world in sandbox.recording_worlds():
            world.rebuild_rate_limiter()
        clocks = orjson.loads(self.journal.meta("clocks") or "{}")
        for world in sandbox.recording_worlds():
            if isinstance(world.clock, RealClock):  # downtime is not simulated time
                known = [t for t in (last.get(world.id), clocks.get(world.id)) if t is not None]
                resume = max([world.started_at, *known])
                world.clock = RealClock(world.clock.speed, resume)
            sandbox.wakeups.note(world)
        self.report.seconds = time.perf_counter() - started
        if self.report.requests:
            print(f"state file {self.journal.path}: replayed {self.report.requests} requests "
                  f"in {self.report.seconds:.2f} s", file=sys.stderr)
        if self.report.mismatches:
            print(f"state file: {len(self.report.mismatches)} replayed requests were answered "
                  f"differently (first: #{self.report.mismatches[0]})", file=sys.stderr)

    async def _replay_one(self, entry: Entry, world: WorkspaceWorld | None) -> int:
        assert self.app is not None
        return await replay(self.app, entry, world.id if world is not None else None)

    # while serving ---------------------------------------------------------------------------
    def record(self, scope: Scope, trace: Trace, body: bytes, status: int) -> None:
        """Called as the answer starts, right after the handler ran: the journal order is the
        order in which handlers changed the state."""
        sandbox = self.sandbox
        if trace.reset:
            self._delivered_ids.clear()
            self.rows_since_snapshot = 0
            self.journal.truncate({"origin": repr(sandbox.origin), "clocks": "{}", "salt": sandbox.salt})
            return
        if not journaled(scope["method"], trace):
            return
        world = sandbox.worlds.get(trace.world_id) if trace.world_id is not None else None
        catch_up = None
        if isinstance(world, RecordingWorld):
            catch_up, world.pending_catch_up = world.pending_catch_up, None
        assert trace.request_id is not None
        self.rows_since_snapshot += 1
        self.journal.append(Entry(  # the path as sent: the router splits it before decoding (`%2F`)
            trace.wall, trace.at, catch_up, scope["method"], request_path(scope),
            scope.get("query_string", b""), list(scope["headers"]), body, trace.request_id, trace.fault,
            status,
        ))
        if self.rows_since_snapshot >= self.snapshot_every and self.in_flight <= 1:
            self.take_snapshot()

    def take_snapshot(self) -> None:
        """Compaction: the whole state after the last row, in place of every row so far, so that a
        restart replays at most `snapshot_every` rows (plus those of requests in flight)."""
        self.rows_since_snapshot = 0
        self.journal.write_snapshot(self.sandbox.snapshot())

    def _delivered(self, delivery: Delivery) -> None:
        self._delivered_ids.append(delivery.id)

    def flush_background(self) -> None:
        """What may lag behind the answers: successful deliveries, the real clock's position."""
        if self.journal.failed:
            return
        clocks = {w.id: w.clock.now() for w in self.sandbox.worlds.values() if isinstance(w.clock, RealClock)}
        if clocks:
            self.journal.set_meta({"clocks": orjson.dumps(clocks).decode()})
        if self._delivered_ids:
            ids, self._delivered_ids = self._delivered_ids, []
            self.journal.mark_delivered(ids)

    async def heartbeat(self, every_seconds: float = 1.0) -> None:
        while True:
            await asyncio.sleep(every_seconds)
            self.flush_background()

    def close(self) -> None:
        if self._ready:
            self.flush_background()
        self.journal.close()


class JournalMiddleware:
    """Pins each request's simulated instant, journals it if it changed state, and holds every
    answer until the journal is durable up to it."""

    def __init__(self, app: ASGIApp, persistence: Persistence) -> None:
        self.app = app
        self.persistence = persistence

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        outer = CURRENT.get()
        # headers over the limit: `Front` refuses the request before any work, so it changed nothing
        if scope["type"] != "http" or (outer is not None and outer.replaying) or refusal(scope["headers"]):
            await self.app(scope, receive, send)
            return
        persistence = self.persistence
        await persistence.ready()
        sandbox = persistence.sandbox
        world = sandbox.world_of(header_map(scope["headers"]))
        trace = Trace(time.time(), world.id if world is not None else None)
        body = bytearray()

        async def receive_body() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body.extend(message.get("body", b""))
            return message

        inside = True  # counted in `in_flight`: until its row is recorded (what a snapshot waits for)

        async def send_when_durable(message: Message) -> None:
            nonlocal inside
            if message["type"] == "http.response.start":
                persistence.record(scope, trace, bytes(body), message["status"])
                if inside:  # its answer, however slowly its client takes it, keeps no snapshot waiting
                    inside = False
                    persistence.in_flight -= 1
                await persistence.journal.durable()
            await send(message)

        token = CURRENT.set(trace)
        persistence.in_flight += 1
        try:
            await self.app(scope, receive_body, send_when_durable)
        finally:
            if inside:
                persistence.in_flight -= 1
            CURRENT.reset(token)
