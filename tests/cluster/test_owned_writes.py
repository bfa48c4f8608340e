"""An owner's group commit (`shared_log.owned_writes`) on a real PostgreSQL."""

from __future__ import annotations

import asyncio

import psycopg

from mock_server.cluster import leases, shared_log
from mock_server.cluster.schema import prepare
from mock_server.cluster.shared_log import JournalRow, OwnedWrite
from mock_server.persistence.state_file import Entry
from mock_server.settings import Settings

ME = "inst-a"


def test_writes_whose_times_are_whole_and_fractional_commit_together(database: str) -> None:
    """The columns go as binary arrays, which hold one type each: a clock read at a whole second
    (an int) among floats in one commit must land as it would alone."""
    prepare(database, Settings())

    async def main() -> None:
        async with await psycopg.AsyncConnection.connect(database, autocommit=True) as db:
            await leases.heartbeat(db, ME, "http://127.0.0.1:1/a", 30)
            writes = []
            for n, (stream, at, catch_up) in enumerate(
                [("ws_a", 1_700_000_000, None), ("ws_b", 1_700_000_000.5, 3), ("ws_c", None, 2.5)]
            ):
                taken = await leases.acquire(db, stream, ME, 1, inherent=True)
                assert isinstance(taken, leases.Acquired)
                entry = Entry(1_700_000_000, at, catch_up, "POST", "/api/public/v1/batch-calls", b"",
                              [(b"content-type", b"application/json")], b"{}", f"req_{n}", None, 201)
                journal = [JournalRow(1, stream, 1, b"e")]
                writes.append(OwnedWrite(stream, taken.epoch, (1, entry, None), False, journal))
            assert await shared_log.owned_writes(db, 1, ME, writes) == {"ws_a", "ws_b", "ws_c"}
            cursor = await db.execute(
                "SELECT stream, wall, at, catch_up, status FROM batchcalls_log"
                " WHERE stream LIKE 'ws_%%' ORDER BY stream"
            )
            assert await cursor.fetchall() == [
                ("ws_a", 1_700_000_000.0, 1_700_000_000.0, None, 201),
                ("ws_b", 1_700_000_000.0, 1_700_000_000.5, 3.0, 201),
                ("ws_c", 1_700_000_000.0, None, 2.5, 201),
            ]
            cursor = await db.execute("SELECT count(*) FROM batchcalls_journal WHERE stream LIKE 'ws_%%'")
            assert await cursor.fetchone() == (3,)

    asyncio.run(main())
