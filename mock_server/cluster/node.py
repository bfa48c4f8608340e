"""One instance of a shared sandbox: how it serves a request from the shared log.

For each request, under an in-process lock per stream (one request of a workspace at a time here;
`cluster/middleware.py` takes it):
1. the stream: the workspace its credentials name, or the sandbox's own ('') for an operation on
   the whole sandbox (its `x-scope` in the control spec: creating, listing and deleting workspaces,
   a reset of everything);
2. a request that may write takes the sandbox's advisory lock (shared; exclusive for a reset of
   everything) and the stream's, in a transaction; a plain read takes none, unless the world could
   change under it (fault rules to draw, real-clock events due);
3. catch up: apply the rows other instances appended since this one last looked (from the latest
   snapshot when it is that far behind), each replayed exactly as it was first handled;
4. handle it with its answer held back; once the answer is whole, commit its row (when it changed
   state) with its request journal entry, then send the answer.
A commit that fails is answered 503, and this instance's copy is rebuilt from the log: a request
that failed changed nothing. See docs/SCALING.md.
"""

from __future__ import annotations

import contextlib
import logging
import pickle
import secrets
import time
from collections.abc import Callable, Sequence

import psycopg
from psycopg_pool import AsyncConnectionPool
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from mock_server.cluster import shared_log
from mock_server.cluster.exclusive import SharedExclusiveLock
from mock_server.cluster.forwarding import Forwarder, OwnerFailed
from mock_server.cluster.outage import DATABASE_ERRORS, Outage, StoreAway
from mock_server.cluster.ownership import Owners
from mock_server.cluster.registry import Registry
from mock_server.cluster.replica import SANDBOX_STREAM, Diverged, RebuildNeeded, Replica, catch_up_row
from mock_server.cluster.schema import prepare, where
from mock_server.cluster.shared_log import Connection
from mock_server.cluster.worlds import ClusterSandbox, ClusterWorld
from mock_server.core.errors import MockError, ServiceUnavailable
from mock_server.core.ids import IdFactory
from mock_server.engine.credentials import CredentialScheme
from mock_server.engine.incoming import changes_state
from mock_server.engine.ratelimit import Limit
from mock_server.engine.router import request_path
from mock_server.engine.scopes import RequestScope, ScopeTable
from mock_server.observe.request_journal import Raw
from mock_server.persistence.recording import CURRENT, Trace, journaled
from mock_server.persistence.state_file import Entry
from mock_server.settings import Settings
from mock_server.wakeups import Wakeable
from mock_server.world import derive_seed

log = logging.getLogger("batchcalls.cluster")

_NOT_LIMITED = ("/_mock", "/docs", "/openapi")  # the rate limit counts API requests only
ANSWERED = "cluster_answered"  # scope state: the answer was sent (a failure after it is only logged)
PRUNE_EVERY = 1_000  # journal entries a process writes for a workspace between two prunings


ErrorAnswer = Callable[[Scope, MockError], Response]


class Node(Replica):
    def __init__(self, settings: Settings, url: str, schemes: Sequence[CredentialScheme],
                 scopes: ScopeTable) -> None:
        """`scopes`: the control API's operations' (which request is sandbox-wide, resets everything
        or removes a workspace: `engine/scopes.py`)."""
        start = prepare(url, settings)  # StoreUnusable: one sentence, before anything listens
        self.url = url
        self.instance = secrets.token_hex(4)
        super().__init__(ClusterSandbox(settings, schemes, start.origin, start.salt, start.generation,
                                        self.instance), scopes)
        # request ids of every instance differ (replayed rows keep the ids they were answered with)
        self.sandbox.request_ids = IdFactory(derive_seed(settings.seed, "requests", self.instance))
        self.limit = Limit.parse(settings.rate_limit) if settings.rate_limit else None
        self.snapshot_every = max(1, settings.snapshot_every)
        self.answer_error: ErrorAnswer | None = None
        self.everything = SharedExclusiveLock()  # see cluster/exclusive.py
        self.outage = Outage(where(url), self._pool)
        self._written: dict[str, int] = {}  # journal entries written per workspace (for pruning)
        # `--ownership`: the URL is this process's own address unless `--advertise-url` names one
        self.registry = (Registry(settings.advertise_url or "", settings.lease_seconds)
                         if settings.ownership else None)
        self.owners: Owners | None = None  # once registered (`open`): where each workspace is served
        self.forwarder: Forwarder | None = None
        self.forwarded = 0  # requests answered by their workspace's owner (`GET /_mock/metrics`)

    # life ------------------------------------------------------------------------------------
    async def open(self) -> None:
        if self.pool is None:
            pool = AsyncConnectionPool(
                self.url, min_size=1, max_size=20, timeout=2.0, open=False, configure=_configure,
                kwargs={"autocommit": True, "connect_timeout": 2},
            )
            await pool.open(wait=False)
            self.pool = self.sandbox.claims.pool = pool
            if self.registry is not None and self.registry.url:
                await self.registry.start(self.url)
                self.owners = Owners(self.registry, lambda: self.sandbox.worlds)
                self.forwarder = Forwarder(self.registry.secret)

    async def close(self) -> None:
        await self.outage.close()
        if self.forwarder is not None:
            await self.forwarder.close()
            self.owners = self.forwarder = None
        if self.pool is not None:
            if self.registry is not None:
                await self.registry.stop(self.url)
            try:
                await self.flush_exchanges()
            except DATABASE_ERRORS:
                log.warning("request journal entries not written to %s at shutdown", where(self.url))
            await self.pool.close()
            self.pool = None

    def pool_connection(self) -> contextlib.AbstractAsyncContextManager[Connection]:
        return self._pool().connection()

    # serving ---------------------------------------------------------------------------------
    def request_scope(self, scope: Scope) -> RequestScope:
        """What the request is (sandbox-wide, a reset of everything, removing a workspace, reading
        the journal), as its operation declares it."""
        return self.scopes.classify(scope["method"], request_path(scope), scope.get("query_string", b""))

    async def stream_of(self, scope: Scope, headers: dict[str, str], kind: RequestScope) -> str | None:
        """The stream a request belongs to (None: its credentials name no workspace). An admin's read
        of a workspace (`x-workspace`) is served on that workspace's stream, caught up like its own."""
        if kind.workspace is not None:
            if kind.workspace not in self.sandbox.worlds:  # perhaps created by another instance
                async with self.lock_of(SANDBOX_STREAM), self._pool().connection() as db:
                    await self.sync_sandbox(db)
            return kind.workspace if kind.workspace in self.sandbox.worlds else SANDBOX_STREAM
        if kind.sandbox_wide:
            return SANDBOX_STREAM
        world = self.sandbox.world_of(headers)
        if world is None:  # perhaps created by another instance: look at the sandbox stream
            async with self.lock_of(SANDBOX_STREAM), self._pool().connection() as db:
                await self.sync_sandbox(db)
            world = self.sandbox.world_of(headers)
        return world.id if world is not None else None

    async def serve(self, stream: str, scope: Scope, receive: Receive, send: Send,
                    headers: dict[str, str], kind: RequestScope) -> None:
        method: str = scope["method"]
        locked = changes_state(method)
        async with self._pool().connection() as db:
            resetting = kind.scope == "everything"
            world = await self._begin(db, stream, locked, resetting)
            deleting = kind.removed_workspace if stream == SANDBOX_STREAM else None
            if deleting is not None:  # its writes in flight anywhere commit first; later ones see it gone
                await shared_log.lock(db, deleting)
            at = None
            if not locked and world is not None:
                at = world.clock.now()
                if self.must_lock(world, at):
                    locked, at = True, None
                    world = await self._begin(db, stream, locked, resetting)
            if stream and world is None:  # its workspace went with a reset of everything
                if locked:
                    await db.execute("ROLLBACK")
                await self.unlogged(scope, receive, send)
                return
            generation = self.sandbox.generation  # what this request's row belongs to
            hits = None
            if (self.limit is not None and stream and not scope["path"].startswith(_NOT_LIMITED)
                    and self.sandbox.carries_credentials(headers)):
                hits = await shared_log.hit(db, stream, int(time.time() // self.limit.period_seconds))
            # an armed readiness session reads the journal at every request of its world (its challenges)
            if world is not None and (kind.journal != "kept" or world.readiness is not None):
                await self.read_exchanges(db, world)
            named = self.sandbox.world_of(headers)
            trace = Trace(time.time(), named.id if named is not None else None, hits=hits)
            if at is not None and world is not None and trace.world_id == world.id:
                trace.at = at  # a read is handled at the instant it was found to need no lock
            await self._handle(db, generation, stream, world, locked, trace, scope, receive, send, kind)

    async def unlogged(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A request whose credentials name no workspace: answered (401), nothing to log."""
        assert self.app is not None
        token = CURRENT.set(Trace(time.time(), None))
        try:
            await self.app(scope, receive, send)
        finally:
            CURRENT.reset(token)

    async def _begin(
        self, db: Connection, stream: str, locked: bool, resetting: bool
    ) -> ClusterWorld | None:
        if not locked:
            return await self.catch_up(db, stream)
        async with db.pipeline():  # BEGIN, the locks and the catch-up's SELECT in one round trip
            await db.execute("BEGIN")
            await shared_log.lock(db, stream, everything=resetting)
            return await self.catch_up(db, stream)

    async def _handle(self, db: Connection, generation: int, stream: str, world: ClusterWorld | None,
                      locked: bool, trace: Trace, scope: Scope, receive: Receive, send: Send,
                      kind: RequestScope) -> None:
        """Handle the request with its answer held back; once it is whole (and in the request
        journal), commit its row and its journal entry, then send it."""
        assert self.app is not None
        body = bytearray()
        held: list[Message] = []

        async def receive_body() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body.extend(message.get("body", b""))
            return message

        async def hold(message: Message) -> None:
            held.append(message)

        token = CURRENT.set(trace)
        try:
            await self.app(scope, receive_body, hold)
        except BaseException:
            if locked:
                self.mark_stale()  # it may have changed this copy, and nothing of it is committed
            raise
        finally:
            CURRENT.reset(token)
        status = held[0]["status"] if held and held[0]["type"] == "http.response.start" else 0
        taken, self.sandbox.exchanges = self.sandbox.exchanges, []
        exchanges = _exchange_rows(generation, taken)
        try:
            if locked and not status:  # no answer (the client left): nothing of it is committed
                self.mark_stale()
                return
            if locked:
                await self._commit(db, generation, stream, world, trace, scope, bytes(body), status,
                                   exchanges, kind)
            elif exchanges:
                await shared_log.add_exchanges(db, exchanges)
        except DATABASE_ERRORS + (Diverged,) as exc:
            request_id = trace.request_id
            self.sandbox.exchanges[:0] = [  # the others' entries wait for the next request's write
                (world_id, raw) for world_id, raw in taken if raw[0] != request_id
            ]
            if locked:
                self.mark_stale()  # the handler changed this copy: it no longer follows the log
            await self.refuse(scope, receive, send, exc)
            return
        self.outage.found_up()
        scope.setdefault("state", {})[ANSWERED] = True
        for message in held:
            await send(message)
        if exchanges:
            await self._prune(db, generation, [world_id for world_id, _ in taken])

    async def _prune(self, db: Connection, generation: int, streams: list[str]) -> None:
        """Every `PRUNE_EVERY` entries this process writes for a workspace, its journal's table is
        cut to `--journal-size` entries (after the answer: it delays no one)."""
        size = self.sandbox.shared.journal_size
        for stream in streams:
            written = self._written[stream] = self._written.get(stream, 0) + 1
            if written % PRUNE_EVERY == 0:
                with contextlib.suppress(*DATABASE_ERRORS):
                    await shared_log.prune_exchanges(db, generation, stream, size)

    async def _commit(self, db: Connection, generation: int, stream: str, world: ClusterWorld | None,
                      trace: Trace, scope: Scope, body: bytes, status: int,
                      exchanges: list[tuple[int, str, bytes]], kind: RequestScope) -> None:
        sandbox = self.sandbox
        method: str = scope["method"]
        catch_up = None
        if world is not None:
            catch_up, world.pending_catch_up = world.pending_catch_up, None
        position = world.position if world is not None else sandbox.position
        entry: Entry | None = None
        if journaled(method, trace) or trace.reset:
            assert trace.request_id is not None
            entry = Entry(trace.wall, trace.at, catch_up, method, request_path(scope),
                          scope.get("query_string", b""), list(scope["headers"]), body, trace.request_id,
                          trace.fault, status)
        elif catch_up is not None:  # a read ran the real clock's events: they are the log's too
            entry = catch_up_row(trace.wall, catch_up)
        if stream != SANDBOX_STREAM and world is None:
            raise Diverged(f"a row for workspace {stream}, which this copy does not have")
        if trace.reset and stream != SANDBOX_STREAM:  # it was not told a sandbox-wide request
            raise Diverged("a reset of everything was handled as one workspace's request")
        if stream == SANDBOX_STREAM and trace.reset:
            assert entry is not None
            generation = await shared_log.new_generation(db, sandbox.origin, sandbox.salt)
            await shared_log.append(db, generation, SANDBOX_STREAM, 1, entry, trace.salt)
            if exchanges:  # the reset's own entry opens the new generation's journal
                await shared_log.add_exchanges(db, [(generation, w, blob) for _, w, blob in exchanges])
            await db.execute("COMMIT")  # the journal entries of before the reset are gone with it
            sandbox.generation, sandbox.position = generation, 1
            return
        gone = kind.removed_workspace if stream == SANDBOX_STREAM else None
        if gone is not None and status == 204:  # nothing of it is written any more
            exchanges = [row for row in exchanges if row[1] != gone]
        async with db.pipeline():  # the row, what goes with it and the commit in one round trip
            if entry is not None:
                await shared_log.append(db, generation, stream, position + 1, entry, trace.salt)
            if gone is not None and status == 204:
                await shared_log.forget_stream(db, generation, gone, trace.wall, method,
                                              request_path(scope))
            clears = kind.journal == "clears"
            if entry is not None and (clears or trace.world_reset):  # the journal starts again
                await shared_log.clear_exchanges(db, generation, stream)
            if entry is not None and world is not None and (position + 1) % self.snapshot_every == 0:
                await shared_log.write_snapshot(db, generation, stream, position + 1, world.snapshot())
            if exchanges:
                await shared_log.add_exchanges(db, exchanges)
            await db.execute("COMMIT")
        if entry is not None:
            if world is not None:
                world.position = position + 1
            else:
                sandbox.position = position + 1

    async def refuse(self, scope: Scope, receive: Receive, send: Send, exc: BaseException) -> None:
        """503 in the envelope of the API the request was for: the database is away (or the owner
        a request was forwarded to failed to answer it)."""
        reason = " ".join(str(exc).split())
        message = "the sandbox's database is unavailable; retry in a moment"
        if isinstance(exc, DATABASE_ERRORS):
            self.outage.found_away(reason)
        elif isinstance(exc, OwnerFailed):
            log.warning("the owner of a workspace failed to answer a forwarded request: %s", reason)
            message = "the instance serving this workspace did not answer; retry in a moment"
        elif not isinstance(exc, StoreAway):
            log.warning("PostgreSQL store at %s: %s", where(self.url), reason)
        state = scope.setdefault("state", {})
        if state.get(ANSWERED):
            return  # the answer was sent before the failure: nothing left to tell the client
        state[ANSWERED] = True
        assert self.answer_error is not None
        error = ServiceUnavailable(message)
        await self.answer_error(scope, error)(scope, receive, send)

    # the pump, the request journal ---------------------------------------------------------
    async def tick(self, due: Wakeable) -> None:
        """A real-clock world's events fell due with no request: run them under its lock, as a
        catch-up row of its stream (whichever instance's pump comes first; the others apply it)."""
        ran = False
        try:
            async with self.everything.shared(), self.lock_of(due.id), self._pool().connection() as db:
                try:
                    async with db.pipeline():
                        await db.execute("BEGIN")
                        await shared_log.lock(db, due.id)
                        world = await self.catch_up(db, due.id)
                    if world is None:
                        return
                    generation = self.sandbox.generation
                    token = CURRENT.set(Trace(time.time(), world.id))
                    try:
                        ran = True
                        world.catch_up()
                    finally:
                        CURRENT.reset(token)
                    catch_up, world.pending_catch_up = world.pending_catch_up, None
                    if catch_up is None:
                        return
                    entry = catch_up_row(time.time(), catch_up)
                    async with db.pipeline():
                        await shared_log.append(db, generation, world.id, world.position + 1, entry, None)
                        await db.execute("COMMIT")
                    world.position += 1
                finally:
                    if not db.closed and db.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                        with contextlib.suppress(*DATABASE_ERRORS):
                            await db.execute("ROLLBACK")
        except RebuildNeeded:
            return  # the next request rebuilds the copy; its catch-up runs what is due
        except (*DATABASE_ERRORS, Diverged) as exc:
            if ran:
                self.mark_stale()  # its events ran here but are in no row
            log.warning("workspace %s: due events not run (%s); the next request or wake-up runs them",
                        due.id, " ".join(str(exc).split()))

    async def flush_exchanges(self) -> None:
        """Write the request journal entries recorded and not written yet (at shutdown)."""
        taken, self.sandbox.exchanges = self.sandbox.exchanges, []
        rows = _exchange_rows(self.sandbox.generation, taken)
        if rows:
            async with self._pool().connection() as db:
                await shared_log.add_exchanges(db, rows)



def _exchange_rows(generation: int, taken: list[tuple[str, Raw]]) -> list[tuple[int, str, bytes]]:
    """Request journal entries (world id, raw entry) as rows of `batchcalls_journal`."""
    return [(generation, world_id, pickle.dumps(raw, protocol=pickle.HIGHEST_PROTOCOL))
            for world_id, raw in taken]


async def _configure(db: Connection) -> None:
    """Each new connection: plan the few statements it prepares once, not at every execution (the
    catch-up's SELECT costs about 0.25 ms less; measured with a loop of executions)."""
    await db.execute("SET plan_cache_mode = force_generic_plan")
