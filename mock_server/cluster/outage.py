"""Whether the shared database is reachable, as one instance sees it.

Once a request has found it away, every request is answered 503 at once (none queues for a
connection that will not come), and a probe looks for the database every 200 ms; the first time it
answers, requests go to it again. One log line as it goes away, one as it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

log = logging.getLogger("batchcalls.cluster")

DATABASE_ERRORS = (psycopg.Error, PoolTimeout, OSError)
PROBE_EVERY_SECONDS = 0.2


async def roll_back_open(db: psycopg.AsyncConnection[Any]) -> None:
    """End the transaction a failure left open on `db` (before it goes back to the pool), if the
    connection still works."""
    if not db.closed and db.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        with contextlib.suppress(*DATABASE_ERRORS):
            await db.execute("ROLLBACK")


class StoreAway(RuntimeError):
    """The database was found unreachable a moment ago (no new attempt for this request)."""


class Outage:
    def __init__(self, where: str, pool: Callable[[], AsyncConnectionPool]) -> None:
        self.where = where  # the database, for messages
        self.pool = pool
        self.away = False
        self._prober: asyncio.Task[None] | None = None

    def found_up(self) -> None:
        if self.away:
            log.warning("PostgreSQL store at %s is back", self.where)
        self.away = False

    def found_away(self, reason: str) -> None:
        if not self.away:
            log.warning("PostgreSQL store at %s unavailable: %s", self.where, reason)
            self.away = True
            self._prober = asyncio.create_task(self._probe())

    async def drop_broken_connections(self) -> None:
        """Connections a database restart broke are found and replaced (a check of each idle one)."""
        with contextlib.suppress(*DATABASE_ERRORS):
            await self.pool().check()

    async def _probe(self) -> None:
        while self.away:
            await asyncio.sleep(PROBE_EVERY_SECONDS)
            try:
                await self.pool().check()
                async with self.pool().connection() as db:
                    await db.execute("SELECT 1")
            except DATABASE_ERRORS:
                continue
            self.found_up()

    async def close(self) -> None:
        if self._prober is not None:
            self._prober.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._prober
