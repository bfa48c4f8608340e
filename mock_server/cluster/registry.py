"""An instance's place in a cluster with `--ownership`: its row in `batchcalls_instance` (its id and
the URL the others forward to), renewed by a heartbeat; past `--lease-seconds` without one, it is
dead to the others, and whatever it held is free (cluster/leases.py).

The id is drawn when the instance starts serving (in each `--workers` process, after the fork), so
processes forked from one parent are distinct instances. A heartbeat that fails (the database away)
is only logged: the instance keeps serving, and counts its own leases lost once its last
successful beat is older than a lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time

import psycopg

from mock_server.cluster import leases
from mock_server.cluster.outage import DATABASE_ERRORS
from mock_server.cluster.shared_log import Connection

log = logging.getLogger("batchcalls.cluster")

BEATS_PER_LEASE = 3  # a beat lost to a slow moment leaves two more before the lease lapses


class Registry:
    def __init__(self, url: str, lease_seconds: float) -> None:
        self.url = url  # advertised: where the other instances reach this one
        self.lease_seconds = lease_seconds
        self.member = ""  # this instance's id in the registry (drawn by `start`)
        self.secret = ""  # proves a request was forwarded by an instance of this sandbox
        self.peers: dict[str, str] = {}  # the other live instances' ids and URLs, as last seen
        self.generation = 0  # the sandbox's generation as the last beat read it
        # counts the spans of time this instance has been alive without a break: a lease taken in
        # an earlier one may have gone to another instance meanwhile (cluster/ownership.py)
        self.tenure = 0
        self._valid_until = 0.0  # monotonic: this instance's own row is alive until then
        self._task: asyncio.Task[None] | None = None
        self._db: Connection | None = None

    def alive(self) -> bool:
        """Whether this instance's leases are surely still its own (its last beat is recent)."""
        return time.monotonic() < self._valid_until

    async def start(self, database: str) -> None:
        """Register (before the first request is served), then beat in the background."""
        self.member = secrets.token_hex(8)
        self.secret = await leases.instance_secret(await self._connection(database))
        await self.beat(database)
        self._task = asyncio.create_task(self._run(database))

    async def _connection(self, database: str) -> Connection:
        """The registry's own connection (a pool busy with requests never delays a beat), opened
        again after a failure."""
        if self._db is None or self._db.closed:
            self._db = await psycopg.AsyncConnection.connect(database, autocommit=True, connect_timeout=2)
        return self._db

    async def beat(self, database: str) -> None:
        sent = time.monotonic()  # the lease runs from before the database renewed it
        try:
            db = await self._connection(database)
            found = await leases.heartbeat(db, self.member, self.url, self.lease_seconds)
        except DATABASE_ERRORS:
            await self._drop()
            raise
        self.peers = found.peers
        self.generation = found.generation
        if not self.alive():  # it lapsed at some moment since the last beat
            self.tenure += 1
        self._valid_until = sent + self.lease_seconds

    async def _run(self, database: str) -> None:
        failing = False
        while True:
            await asyncio.sleep(self.lease_seconds / BEATS_PER_LEASE)
            try:
                await self.beat(database)
                failing = False
            except DATABASE_ERRORS as exc:
                if not failing:  # once per outage, not at every beat
                    log.warning("heartbeat not renewed: %s", " ".join(str(exc).split()))
                failing = True

    async def stop(self, database: str) -> None:
        """Stop beating and leave: what this instance held is free for the others at once."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._drop()  # a beat cancelled mid-statement may have left it busy: leave on a new one
        if self.member:
            with contextlib.suppress(*DATABASE_ERRORS):
                await leases.leave(await self._connection(database), self.member)
            await self._drop()
        self._valid_until = 0.0

    async def _drop(self) -> None:
        if self._db is not None:
            with contextlib.suppress(*DATABASE_ERRORS):
                await self._db.close()
            self._db = None
