"""How an instance writes the request journal entries its worlds record to the database.

Without `--ownership` a request's entry is written before its answer is sent (in its commit, or on
its own), so that a journal read on any instance finds it. With `--ownership` every request of a
workspace is served by its owner, so the owner alone must find it: a read served from memory leaves
its entry pending, and one background write takes every entry pending then (many reads, one round
trip). What needs a workspace's entries in order waits for that write and adds the workspace's
pending ones itself: a write commits them with its row, a journal read writes them before it reads.

A workspace's entries written together are one row (`journal_rows.py`): PostgreSQL's cost
is mostly per row, not per byte. So that reads spread over many workspaces still share rows, a
background write begins at most every GATHER_SECONDS, unless GATHER_ENTRIES are pending (the first
after a quiet spell begins at once): at most that much of the reads' entries is lost to a `kill -9`.

Every `PRUNE_EVERY` entries this process writes for a workspace, its journal's table is cut to
`--journal-size` entries (after the answer: it delays no one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from psycopg_pool import AsyncConnectionPool

from mock_server.cluster import shared_log
from mock_server.cluster.journal_rows import rows
from mock_server.cluster.outage import DATABASE_ERRORS, Outage
from mock_server.cluster.shared_log import Connection
from mock_server.cluster.worlds import ClusterSandbox
from mock_server.observe.request_journal import Raw

log = logging.getLogger("batchcalls.cluster")

PRUNE_EVERY = 1_000  # journal entries a process writes for a workspace between two prunings
GATHER_SECONDS = 0.05  # between the beginnings of two background writes, unless…
GATHER_ENTRIES = 256  # …this many entries are pending (half of what makes reads wait: owner.py)

Taken = list[tuple[str, Raw]]  # (world id, raw entry), in the order they were recorded


class JournalWriter:
    def __init__(self, sandbox: ClusterSandbox, pool: Callable[[], AsyncConnectionPool], outage: Outage,
                 *, background: bool) -> None:
        """`background`: reads leave their entries to the background write (`--ownership`)."""
        self.sandbox = sandbox  # its `exchanges`: the entries recorded and not written yet
        self.pool = pool
        self.outage = outage
        self.background = background
        self._written: dict[str, int] = {}  # entries written per workspace (for pruning)
        self._task: asyncio.Task[None] | None = None
        self._in_flight: set[str] = set()  # the workspaces whose entries the background write holds
        self._done = asyncio.Event()  # set when no background write is in flight
        self._enough = asyncio.Event()  # set when GATHER_ENTRIES are pending
        self._began = -GATHER_SECONDS  # when the last background write began (the loop's time)
        self._stopping = False  # the process stops: no gathering any more

    # what a request takes ------------------------------------------------------------------
    async def take_for(self, stream: str, request_id: str | None, *, clears: bool = False) -> Taken:
        """The entries a request's commit writes: every pending one without `background`; with it,
        the workspace's own (after the background write of its earlier ones) and the request's.
        `clears`: the request empties the workspace's journal (its earlier entries are dropped)."""
        if not self.background:
            taken, self.sandbox.exchanges = self.sandbox.exchanges, []
            return taken
        await self.settled(stream)
        mine: Taken = []
        kept: Taken = []
        for found in self.sandbox.exchanges:
            if found[1][0] == request_id:
                mine.append(found)
            elif found[0] == stream:
                if not clears:
                    mine.append(found)
            else:
                kept.append(found)
        self.sandbox.exchanges = kept
        return mine

    def drop(self, request_id: str | None) -> None:
        """A request that committed nothing (its client left): its entries are not written."""
        self.sandbox.exchanges = [found for found in self.sandbox.exchanges if found[1][0] != request_id]

    def forget(self, stream: str | None = None) -> None:
        """A workspace removed (None: every one, a reset of everything): its count of entries
        written goes, so the counts stay within the workspaces that exist."""
        if stream is None:
            self._written.clear()
        else:
            self._written.pop(stream, None)

    def give_back(self, taken: Taken, request_id: str | None) -> None:
        """A commit failed: the others' entries wait for the next write (the request's are gone
        with it), ahead of anything recorded since."""
        self.sandbox.exchanges[:0] = [found for found in taken if found[1][0] != request_id]

    async def room(self, limit: int, seconds: float) -> None:
        """Once fewer than `limit` entries are pending, or no background write is under way to take
        them, or after `seconds`: a read served from memory waits for a lagging database's write
        (answered from memory then) rather than writing its entry itself, which held a pool
        connection behind that write's journal locks, until none was left (503s)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while len(self.sandbox.exchanges) >= limit and self._task is not None and not self._task.done():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._done.wait(), remaining)

    async def settled(self, stream: str) -> None:
        """Once no background write in flight holds the workspace's entries."""
        while stream in self._in_flight:
            await self._done.wait()

    async def write_pending(self, db: Connection, stream: str) -> None:
        """Before a journal read: the workspace's pending entries, written."""
        if self.background:
            taken = await self.take_for(stream, None)
            if taken:
                await shared_log.add_exchanges(db, rows(self.sandbox.generation, taken))

    # writing -------------------------------------------------------------------------------
    async def written(self, db: Connection | None, generation: int, streams: list[str]) -> None:
        """Entries of these workspaces were written: prune their tables every `PRUNE_EVERY` (on
        `db`, or on a connection of the pool's when the writer holds none: an owner's write)."""
        due = []
        for stream in streams:
            count = self._written[stream] = self._written.get(stream, 0) + 1
            if count % PRUNE_EVERY == 0:
                due.append(stream)
        if not due:
            return
        with contextlib.suppress(*DATABASE_ERRORS):
            async with contextlib.AsyncExitStack() as stack:
                on = db if db is not None else await stack.enter_async_context(self.pool().connection())
                for stream in due:
                    await shared_log.prune_exchanges(on, generation, stream, self.sandbox.shared.journal_size)

    def kick(self) -> None:
        """Entries are pending: make sure a background write will take them."""
        pending = self.sandbox.exchanges
        if not pending:
            return
        if self._task is None or self._task.done():
            # a write is under way from now: `room` waits for its end (a set event would be answered at
            # once: from Python 3.12 without yielding, a spin that held the loop)
            self._done.clear()
            self._task = asyncio.create_task(self._run())
        elif len(pending) >= GATHER_ENTRIES:
            self._enough.set()

    async def _gather(self) -> None:
        """Until GATHER_SECONDS after the last background write began, or GATHER_ENTRIES pending."""
        loop = asyncio.get_running_loop()
        wait = self._began + GATHER_SECONDS - loop.time()
        if wait > 0 and len(self.sandbox.exchanges) < GATHER_ENTRIES and not self._stopping:
            self._enough.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._enough.wait(), wait)
        self._began = loop.time()

    async def _run(self) -> None:
        try:
            while self.sandbox.exchanges:
                self._done.clear()  # (set after each write: `room` waits for the next)
                await self._gather()
                taken, self.sandbox.exchanges = self.sandbox.exchanges, []
                if taken and not await self._write(taken):
                    return
        finally:
            self._done.set()

    async def _write(self, taken: Taken) -> bool:
        """One background write: whether it was made (else the entries wait for the next write)."""
        generation = self.sandbox.generation
        self._in_flight = {world_id for world_id, _ in taken}
        made = False
        try:
            async with self.pool().connection() as db:
                await shared_log.add_exchanges(db, rows(generation, taken))
                made = True
                self.outage.found_up()
                await self.written(db, generation, [world_id for world_id, _ in taken])
            return True
        except BaseException as exc:
            if not made:  # written with the next request's commit or write, or at the end
                self.sandbox.exchanges[:0] = taken
            if not isinstance(exc, DATABASE_ERRORS):
                raise  # (cancelled: the loop ends)
            self.outage.found_away(" ".join(str(exc).split()))
            return False
        finally:
            self._in_flight = set()
            self._done.set()

    def _no_more_gathering(self) -> None:
        self._stopping = True
        self._enough.set()

    async def hurry(self) -> None:
        """The process begins to stop (it is about to refuse connections, and another instance to
        serve its workspaces, writing its own entries at once): from now on each background write
        begins at once, and the entries pending now are written before this returns. Gathered
        until the end, they were written after those of the instance that served next."""
        self._no_more_gathering()
        self.kick()
        if self._task is not None:
            with contextlib.suppress(Exception):  # (shielded: a caller's time limit does not cancel it)
                await asyncio.shield(self._task)

    async def close(self) -> None:
        """At shutdown: the background write finished, then whatever is still pending written."""
        self._no_more_gathering()
        if self._task is not None:
            await asyncio.wait({self._task})
            failed = None if self._task.cancelled() else self._task.exception()
            if failed is not None:
                log.warning("request journal write failed: %s", failed)
            self._task = None
        taken, self.sandbox.exchanges = self.sandbox.exchanges, []
        if taken:
            async with self.pool().connection() as db:
                await shared_log.add_exchanges(db, rows(self.sandbox.generation, taken))
