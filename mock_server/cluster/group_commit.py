"""Owners' writes of many workspaces in flight on one instance, committed together (`--ownership`).

A write waits for no timer: when no commit is in flight it is sent at once, alone; while one is,
the writes that arrive meanwhile wait for it and then go together, in one transaction and one
round trip (`shared_log.owned_writes`). So no answer waits longer than one commit beyond its own,
and under load each commit carries as many writes as arrived during the last. A workspace has at
most one write in a commit (its requests are handled one at a time), and each is fenced by its own
lease: one that fails its fence is not written, and the others are.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import psycopg

from mock_server.cluster import shared_log
from mock_server.cluster.outage import DATABASE_ERRORS
from mock_server.cluster.shared_log import Connection, OwnedWrite


class GroupCommit:
    def __init__(self, database: str, me: Callable[[], str]) -> None:
        """Commits go through a connection of their own (the requests waiting for one hold the
        pool's), opened again after a failure."""
        self.database = database
        self.me = me  # this instance's id in the registry (once registered)
        self._db: Connection | None = None
        self._waiting: list[tuple[int, OwnedWrite, asyncio.Future[bool]]] = []
        self._task: asyncio.Task[None] | None = None
        self.commits = 0  # commits made, and the writes they carried (`GET /_mock/metrics`)
        self.writes = 0

    async def write(self, generation: int, write: OwnedWrite) -> bool:
        """Commit `write` (with whatever else is waiting); whether it passed its fence."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((generation, write, done))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        return await done

    async def _run(self) -> None:
        while self._waiting:
            taken, self._waiting = self._waiting, []
            for generation in sorted({generation for generation, _, _ in taken}):
                batch = [(write, done) for g, write, done in taken if g == generation]
                try:
                    if self._db is None or self._db.closed:
                        self._db = await psycopg.AsyncConnection.connect(
                            self.database, autocommit=True, connect_timeout=2)
                    written = await shared_log.owned_writes(self._db, generation, self.me(),
                                                            [write for write, _ in batch])
                except Exception as exc:  # noqa: BLE001 - each writer answers it (503, its copy rebuilt)
                    if isinstance(exc, DATABASE_ERRORS):
                        await self._drop()
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(exc)
                    continue
                self.commits += 1
                self.writes += len(batch)
                for write, done in batch:
                    if not done.done():
                        done.set_result(write.stream in written)

    async def _drop(self) -> None:
        if self._db is not None:
            with contextlib.suppress(*DATABASE_ERRORS):
                await self._db.close()
            self._db = None

    async def close(self) -> None:
        """At shutdown: the commit in flight (and what waits for it) made, the connection closed."""
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self._drop()
