"""cluster/journal_writer.py's wait for room (a read past PENDING_ENTRIES waiting for the background
write), on a database stand-in whose insert returns when the test lets it: no PostgreSQL needed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any, cast

from mock_server.cluster.journal_writer import JournalWriter
from mock_server.cluster.outage import Outage
from mock_server.observe.request_journal import Exchange

PENDING = 512


class Database:
    """Inserts that wait for `go`."""

    def __init__(self) -> None:
        self.go = asyncio.Event()
        self.inserts = 0

    async def execute(self, *_: Any, **__: Any) -> None:
        await self.go.wait()
        self.inserts += 1

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Database]:
        yield self


def entries(count: int) -> list[tuple[str, tuple[Any, ...]]]:
    """Entries of as many fields as an Exchange, each its request id and Nones."""
    return [("ws_1", (f"req_{n}", *[None] * (len(Exchange._fields) - 1))) for n in range(count)]


def writer_on(database: Database, pending: int) -> tuple[JournalWriter, SimpleNamespace]:
    shared = SimpleNamespace(journal_size=10)
    sandbox = SimpleNamespace(exchanges=entries(pending), generation=1, shared=shared)
    outage = cast(Outage, SimpleNamespace(found_up=lambda: None))
    return JournalWriter(cast(Any, sandbox), lambda: cast(Any, database), outage, background=True), sandbox


def test_a_read_waits_for_the_write_under_way_without_holding_the_loop() -> None:
    """After one write has finished, the next one is kicked with PENDING entries waiting: a read's
    wait lets that write run (from Python 3.12 `wait_for` answered the event the first write had
    set without yielding: the read spun, holding the loop for the whole second)."""

    async def scenario() -> tuple[int, float, int, list[Any]]:
        database = Database()
        writer, sandbox = writer_on(database, 1)
        database.go.set()
        writer.kick()
        await writer.room(1, 1.0)  # the first write, done
        assert database.inserts == 1 and sandbox.exchanges == []
        database.go.clear()
        sandbox.exchanges = entries(PENDING)
        writer.kick()
        assert not writer._done.is_set()  # a write is under way: what `room` waits for
        ticks = 0

        async def heartbeat() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        beating = asyncio.create_task(heartbeat())
        asyncio.get_running_loop().call_later(0.2, database.go.set)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await writer.room(PENDING, 1.0)
        took = loop.time() - started
        beating.cancel()
        return ticks, took, database.inserts, sandbox.exchanges

    ticks, took, inserts, pending = asyncio.run(scenario())
    assert inserts == 2 and pending == []  # the wait ended with the write that took the entries
    assert 0.15 < took < 0.9, took
    assert ticks >= 10, "the loop was held while the read waited"


def test_the_wait_is_bounded_when_the_write_does_not_end() -> None:
    async def scenario() -> float:
        writer, sandbox = writer_on(Database(), PENDING)  # its insert never returns
        writer.kick()
        await asyncio.sleep(0)
        sandbox.exchanges += entries(PENDING)  # more came while the first write hangs
        loop = asyncio.get_running_loop()
        started = loop.time()
        await writer.room(PENDING, 0.3)
        return loop.time() - started

    assert 0.25 < asyncio.run(scenario()) < 1.0
