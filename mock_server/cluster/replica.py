"""This instance's copy of a shared sandbox, kept up with the log.

Before a request of a workspace is handled, its world applies the rows other instances appended to
its stream since this copy last looked (from the latest snapshot when it is that far behind), each
replayed through the app exactly as it was first handled; the sandbox's own stream (workspaces
created and deleted, a reset of everything) likewise. A copy that may hold what the log does not (a
commit that failed after its handler ran) is stale: it starts again from its generation's
beginning before it serves on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref

from psycopg_pool import AsyncConnectionPool
from starlette.types import ASGIApp, Receive, Scope, Send

from mock_server.cluster import shared_log
from mock_server.cluster.journal_rows import entries
from mock_server.cluster.shared_log import Connection, Row
from mock_server.cluster.worlds import ClusterSandbox, ClusterWorld, DormantWorld, SharedJournal
from mock_server.core.clock import RealClock
from mock_server.engine.router import request_path
from mock_server.engine.scopes import RequestScope, ScopeTable
from mock_server.persistence.recording import CURRENT, Trace
from mock_server.persistence.replay import header_map, replay
from mock_server.persistence.state_file import Entry

log = logging.getLogger("batchcalls.cluster")

SANDBOX_STREAM = ""


class RebuildNeeded(Exception):
    """This copy must start again from its generation's beginning before it serves on: done under
    the process's exclusive lock (`Node.rebuild`), then the request is tried again."""


class Diverged(RuntimeError):
    """This instance's copy no longer follows the log (a commit failed after the handler ran)."""


class Replica:
    """The copy: its sandbox, the app rows are replayed through, and what follows the log."""

    def __init__(self, sandbox: ClusterSandbox, scopes: ScopeTable) -> None:
        self.sandbox = sandbox
        self.scopes = scopes  # what a request is: sandbox-wide, removing a workspace (`x-scope`…)
        self.pool: AsyncConnectionPool | None = None
        self.app: ASGIApp | None = None  # what rows are replayed through (set by ClusterMiddleware)
        # one lock per stream while someone holds or awaits it (a holder keeps it alive): the table
        # holds the streams in use, not every workspace this instance ever served
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._stale = False  # a commit failed: rebuild from the log before the next request
        # rows applied after another instance (or an earlier copy) wrote them, and the seconds
        # between each one's commit and its application here, summed (GET /_mock/metrics)
        self.rows_applied = 0
        self.lag_seconds = 0.0

    def mark_stale(self) -> None:
        """This copy may hold what the log does not: rebuild it before the next request."""
        self._stale = True

    def lock_of(self, stream: str) -> asyncio.Lock:
        """The stream's lock: the same one for every caller while any of them holds a reference."""
        found = self._locks.get(stream)
        if found is None:
            found = self._locks[stream] = asyncio.Lock()
        return found

    @property
    def locks_kept(self) -> int:
        return len(self._locks)

    def _pool(self) -> AsyncConnectionPool:
        assert self.pool is not None, "open the node first"
        return self.pool

    def pool_connection(self) -> contextlib.AbstractAsyncContextManager[Connection]:
        return self._pool().connection()

    def request_scope(self, scope: Scope) -> RequestScope:
        """What the request is (sandbox-wide, a reset of everything, removing a workspace, reading
        the journal), as its operation declares it."""
        return self.scopes.classify(scope["method"], request_path(scope), scope.get("query_string", b""))

    def trace_of(self, headers: dict[str, str], hits: int | None = None) -> Trace:
        """A request's trace, now: the world its credentials name, the rate limit's count."""
        named = self.sandbox.world_of(headers)
        return Trace(time.time(), named.id if named is not None else None, hits=hits)

    async def unlogged(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A request whose credentials name no workspace: answered (401), nothing to log."""
        assert self.app is not None
        token = CURRENT.set(Trace(time.time(), None))
        try:
            await self.app(scope, receive, send)
        finally:
            CURRENT.reset(token)

    # catching up -----------------------------------------------------------------------------
    @property
    def needs_rebuild(self) -> bool:
        return self._stale

    async def rebuild(self, db: Connection) -> None:
        """Start this copy again from the generation's beginning (a reset of everything elsewhere,
        or a commit that failed here). The caller holds the process's exclusive lock: no request of
        this process holds a world of the copy being replaced."""
        found = await shared_log.meta(db)
        self.sandbox.restart(float(found["origin"]), found["salt"], int(found["generation"]))
        self._stale = False
        await self.sync_sandbox(db)

    async def sync_sandbox(self, db: Connection) -> None:
        """Apply the sandbox stream's new rows (workspaces created, a reset of everything). The
        caller holds the sandbox stream's in-process lock: its rows are applied one at a time."""
        sandbox = self.sandbox
        if self._stale:
            raise RebuildNeeded
        behind = await shared_log.behind(db, SANDBOX_STREAM, sandbox.position)
        if behind.generation != sandbox.generation:
            self._stale = True  # everything was reset elsewhere
            raise RebuildNeeded
        for row in behind.rows:
            await self._apply(row, None)
            sandbox.position = row.entry.seq
        for created in sandbox.take_replayed_creations():  # `--ownership`: another instance's to serve
            world = sandbox.worlds.get(created)
            if isinstance(world, ClusterWorld) and world.in_memory and world is not sandbox.default_world:
                sandbox.put_to_sleep(world)

    async def catch_up(self, db: Connection, stream: str) -> ClusterWorld | None:
        """The stream's world with every committed row applied (None: it no longer exists). The
        caller holds the stream's in-process lock (and, to write, its advisory lock)."""
        if stream == SANDBOX_STREAM:
            await self.sync_sandbox(db)
            return None
        if self._stale:
            raise RebuildNeeded
        world = self.sandbox.worlds.get(stream)
        if not isinstance(world, ClusterWorld):
            return None
        behind = await shared_log.behind(db, stream, world.position)
        if behind.generation != self.sandbox.generation:
            self._stale = True  # everything was reset elsewhere
            raise RebuildNeeded
        if any(_removes(self.scopes, row.entry) == stream for row in behind.rows):
            # deleted through another instance: its deletion, a row of the sandbox stream, removes it
            async with self.lock_of(SANDBOX_STREAM):
                await self.sync_sandbox(db)
            return None
        if behind.snapshot_at is not None and behind.snapshot_at > world.position:
            found = await shared_log.snapshot(db, behind.generation, stream)
            if found is not None:
                world = self.sandbox.restore_world(found[1], found[0])
        if isinstance(world, DormantWorld):  # no snapshot: every row of its stream is there
            world = self.sandbox.wake(world)
        for row in behind.rows:
            if row.entry.seq <= world.position:
                continue
            if row.entry.seq != world.position + 1:
                raise Diverged(f"workspace {stream}: row {row.entry.seq} follows row {world.position}")
            await self._apply(row, world)
            world.position = row.entry.seq
        return world

    async def _apply(self, row: Row, world: ClusterWorld | None) -> None:
        entry = row.entry
        self.rows_applied += 1
        self.lag_seconds += max(0.0, time.time() - entry.wall)
        if world is not None and entry.catch_up is not None:
            world.run_until(entry.catch_up)
        if not entry.method:
            return  # a catch-up only
        assert self.app is not None
        named = self.sandbox.world_of(header_map(entry.headers))
        status = await replay(self.app, entry, named.id if named is not None else None, salt=row.salt)
        if status != entry.status:
            log.warning("row %s of %r was answered %s, now %s", entry.seq, world.id if world else "",
                        entry.status, status)

    def must_lock(self, world: ClusterWorld, now: float) -> bool:
        """Whether a read at the world's instant `now` could change it (so it is handled under the
        stream's lock): a fault rule may fire, or a real clock's events are due."""
        if world.faults.rules() or world.pending_catch_up is not None:
            return True
        due = world.next_due() if isinstance(world.clock, RealClock) else None
        return due is not None and due <= now

    async def read_exchanges(self, db: Connection, world: ClusterWorld) -> None:
        """Before the journal is read: every instance's entries for the world, in order (each
        instance writes a request's entry before it answers the request)."""
        journal = world.journal
        assert isinstance(journal, SharedJournal)
        for entry_id, blob in await shared_log.exchanges_after(db, self.sandbox.generation, world.id,
                                                               journal.read_up_to):
            for entry in entries(blob):
                journal.absorb(entry)
            journal.read_up_to = entry_id



def _removes(scopes: ScopeTable, entry: Entry) -> str | None:
    """The workspace a journaled request removed (`x-removes-workspace`), if it did."""
    return scopes.classify(entry.method, entry.path, entry.query).removed_workspace


def catch_up_row(wall: float, target: float) -> Entry:
    """A row of no request: a real clock's simulation ran up to `target` (method '')."""
    return Entry(wall, None, target, "", "", b"", [], b"", "", None, 0)

