"""What an instance does as the owner of workspaces (`--ownership`; without it, none of this runs).

Only the holder of a workspace's lease writes to its stream: each write passes the lease's fence
in its own transaction (`fence`), so once the owner has caught up under its lease, its copy is the
log's for as long as it holds it. Its reads are then answered from memory (`fresh_read`). A
workspace's removal is served by its owner, under its lease; a reset of everything is told to every
other live instance before it is answered (`tell_reset`). See docs/SCALING.md.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, NoReturn

from psycopg import AsyncCursor

from mock_server.cluster import leases, shared_log
from mock_server.cluster.forwarding import Forwarder
from mock_server.cluster.group_commit import GroupCommit
from mock_server.cluster.journal_writer import GATHER_ENTRIES, JournalWriter
from mock_server.cluster.ownership import Lease, LeaseLost, Owners
from mock_server.cluster.registry import Registry
from mock_server.cluster.replica import SANDBOX_STREAM, Replica
from mock_server.cluster.shared_log import Connection
from mock_server.cluster.worlds import ClusterSandbox, ClusterWorld
from mock_server.engine.ratelimit import Limit
from mock_server.engine.scopes import RequestScope, ScopeTable
from mock_server.persistence.recording import Trace
from mock_server.persistence.state_file import Entry
from mock_server.settings import Settings

log = logging.getLogger("batchcalls.cluster")

# journal entries of reads served from memory and not written yet, past which reads are served as
# any other (each writes its entry before its answer): a database that lags slows reads down rather
# than let what waits for it grow (an entry holds up to twice the journal's 64 KiB body cut)
PENDING_ENTRIES = 2 * GATHER_ENTRIES  # (a background write begins once half are pending)
ROOM_SECONDS = 1.0  # how long a read waits for a lagging database's write of pending entries


class Owner(Replica):
    journal: JournalWriter  # the node's
    def __init__(self, sandbox: ClusterSandbox, scopes: ScopeTable, settings: Settings, url: str) -> None:
        """`url`: the database's."""
        super().__init__(sandbox, scopes)
        # `--ownership`: the URL is this process's own address unless `--advertise-url` names one
        self.registry = (Registry(settings.advertise_url or "", settings.lease_seconds)
                         if settings.ownership else None)
        self.owners: Owners | None = None  # once registered (`open`): where each workspace is served
        self.forwarder: Forwarder | None = None
        self.forwarded = 0  # requests answered by their workspace's owner (`GET /_mock/metrics`)
        self.idle_evicted = 0  # worlds put to sleep after `--idle-evict` unused (`cluster/spread.py`)
        self.handed_over = 0  # worlds handed to another instance, this one owning more than its share
        self.from_memory = 0  # reads answered as their workspace's owner, with no database round trip
        self.limit = Limit.parse(settings.rate_limit) if settings.rate_limit else None
        self.group_commit = (GroupCommit(url, lambda: self.registry.member if self.registry else "")
                             if settings.ownership else None)

    @property
    def group_commits(self) -> tuple[int, int]:
        """Owners' commits made, and the writes they carried (`GET /_mock/metrics`)."""
        found = self.group_commit
        return (found.commits, found.writes) if found is not None else (0, 0)

    async def fresh_read(self, stream: str, headers: dict[str, str], kind: RequestScope,
                         counted: bool) -> tuple[ClusterWorld, Trace] | None:
        """A read of a workspace this instance owns, and has caught up since it took the lease: its
        world and trace, to answer it from memory (None: it is served as any other). `counted`: the
        rate limit counts it (in the database). Past PENDING_ENTRIES entries waiting (a database
        that lags) it waits for their write first, ROOM_SECONDS at most (then, lagging still, the
        read writes its own entry)."""
        found = self.memory_world(stream, kind, counted)
        if found is not None and len(self.sandbox.exchanges) >= PENDING_ENTRIES:
            await self.journal.room(PENDING_ENTRIES, ROOM_SECONDS)
            lagging = len(self.sandbox.exchanges) >= PENDING_ENTRIES
            found = None if lagging else self.memory_world(stream, kind, counted)  # (it may have moved)
        if found is None:
            return None
        world, at = found
        trace = self.trace_of(headers)
        if trace.world_id == world.id:
            trace.at = at
        self.from_memory += 1
        return world, trace

    def owned_write(self, stream: str, headers: dict[str, str],
                    kind: RequestScope) -> tuple[ClusterWorld, Lease] | None:
        """A write of a workspace this instance knows it holds the lease of, and has caught up
        under it, that needs nothing of the database before its commit: its world and lease (None:
        served as any other). Its commit goes with the others in flight (`write_owned`), and a
        connection of the pool is taken only if it must write a snapshot or prune the journal:
        requests waiting for their group commit hold none, so the pool does not run out under load.
        Not so: the rate limit (counted in the database), a readiness session's world or a journal
        operation (they read the journal), and a workspace's removal (the sandbox's stream)."""
        if (self.owners is None or stream == SANDBOX_STREAM or kind.journal != "kept"
                or (self.limit is not None and self.sandbox.carries_credentials(headers))):
            return None
        lease = self.owners.lease(stream, self.sandbox.generation)
        world = self.fresh(stream, lease)
        if world is None or lease is None or world.readiness is not None:
            return None
        return world, lease

    def memory_world(
        self, stream: str, kind: RequestScope, counted: bool
    ) -> tuple[ClusterWorld, float] | None:
        """The world a read of `stream` is answered from, and its clock's now, when nothing in it
        needs the log (see `fresh_read`): checked before a read waits for room, and again after."""
        if self.owners is None or stream == SANDBOX_STREAM or counted or kind.journal != "kept":
            return None
        world = self.fresh(stream, self.owners.lease(stream, self.sandbox.generation))
        if world is None or world.readiness is not None:
            return None
        at = world.clock.now()
        return None if self.must_lock(world, at) else (world, at)

    def fresh(self, stream: str, lease: Lease | None) -> ClusterWorld | None:
        """The stream's world if it is caught up under `lease`: nothing was appended to its stream
        since but through this copy (None: catch up first)."""
        registry = self.registry
        if (lease is None or self.needs_rebuild or registry is None
                or registry.generation > self.sandbox.generation):  # reset elsewhere: catch up to see it
            return None
        world = self.sandbox.worlds.get(stream)
        return world if isinstance(world, ClusterWorld) and world.lease == lease else None

    async def lease(self, db: Connection, stream: str) -> Lease | None:
        """This instance's lease on a workspace's stream, taken if nobody alive holds it (None:
        another instance's, or no workspace's, or no `--ownership`). Unless this instance knows it
        holds it, the database is asked (what it knows of another owner may be stale: the request
        is served here)."""
        if self.owners is None or stream == SANDBOX_STREAM:
            return None
        generation = self.sandbox.generation
        found = self.owners.lease(stream, generation) or await self.owners.ask(db, stream, generation)
        return found if isinstance(found, Lease) else None

    async def fence(self, db: Connection, stream: str, lease: Lease) -> AsyncCursor[Any]:
        assert self.registry is not None
        return await leases.fence(db, stream, self.registry.member, lease.epoch, self.sandbox.generation)

    async def write_owned(self, generation: int, world: ClusterWorld, entry: Entry | None,
                          salt: str | None, clear: bool, exchanges: list[shared_log.JournalRow],
                          lease: Lease) -> None:
        """A write of a workspace this copy is the log's of, committed with the other workspaces'
        in flight (`cluster/group_commit.py`): its row and journal entries, written only if the
        lease still holds (LeaseLost: nothing was)."""
        if entry is None and not exchanges:
            return
        assert self.group_commit is not None and self.owners is not None
        row = (world.position + 1, entry, salt) if entry is not None else None
        write = shared_log.OwnedWrite(world.id, lease.epoch, row, clear, exchanges)
        if not await self.group_commit.write(generation, write):
            self.owners.forget(world.id)
            raise LeaseLost(f"workspace {world.id} changed hands")
        if entry is not None:
            world.position += 1

    async def removed_workspace(self, kind: RequestScope) -> str | None:
        """The workspace a request removes, if it exists (perhaps created by another instance)."""
        removed = kind.removed_workspace
        if removed is not None and removed not in self.sandbox.worlds:
            async with self.lock_of(SANDBOX_STREAM), self._pool().connection() as db:
                await self.sync_sandbox(db)
        return removed if removed in self.sandbox.worlds else None

    async def fence_removed(self, db: Connection, removed: str) -> None:
        """In a workspace's removal (its transaction begun): its lease, this instance's, fenced (the
        database asked when this instance does not know it holds it: a removal refused before, a
        401, left it held). Once removed, its world is gone from memory: nothing is served from it."""
        if self.owners is None or removed not in self.sandbox.worlds:
            return  # no such workspace: the answer is a 404, and nothing is removed
        lease = await self.lease(db, removed)
        if lease is None or not await leases.passed(await self.fence(db, removed, lease)):
            await self.give_up(db, removed)

    async def give_up(self, db: Connection, stream: str) -> NoReturn:
        """A write whose fence failed, its transaction begun: rolled back, the lease no longer
        taken for this instance's."""
        await db.execute("ROLLBACK")
        if self.owners is not None:
            self.owners.forget(stream)
        raise LeaseLost(f"workspace {stream} is served by another instance")

    async def tell_reset(self, db: Connection) -> None:
        """Before a reset of everything is answered: every other live instance is told, so that
        none serves a read from its memory of before. One that does not take the notice is waited
        out: within a lease it has beaten again (and seen the new generation, so it serves from
        memory no more) or counts its leases lost."""
        if self.forwarder is None or self.registry is None:
            return
        peers = await leases.live_peers(db, self.registry.member)
        told = await asyncio.gather(*(self.forwarder.tell_reset(peer) for peer in peers))
        if not all(told):
            log.warning("%d instance(s) did not take the notice of a reset: waiting a lease",
                        told.count(False))
            await asyncio.sleep(self.registry.lease_seconds)
