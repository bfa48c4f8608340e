"""The shared request journal's ids on a real PostgreSQL (cluster/shared_log.py): an entry's id is
drawn when it is inserted and seen when it commits, so a reader that moved past id N of a workspace
(`exchanges_after`) must never find a lower one committed later (found by an adversarial pass: the
entry was skipped by that instance's journal for good)."""

from __future__ import annotations

import asyncio

import psycopg
from lock_waits import until_a_lock_is_waited_for

from mock_server.cluster import shared_log
from mock_server.cluster.schema import prepare
from mock_server.cluster.shared_log import JournalRow
from mock_server.settings import Settings

STREAM = "ws_journal"


def test_an_entry_committed_after_a_later_drawn_one_is_not_skipped_by_a_reader(database: str) -> None:
    prepare(database, Settings())

    async def main() -> None:
        async with (
            await psycopg.AsyncConnection.connect(database) as first,  # a request's transaction
            await psycopg.AsyncConnection.connect(database, autocommit=True) as second,
            await psycopg.AsyncConnection.connect(database, autocommit=True) as reader,
        ):
            await shared_log.add_exchanges(first, [JournalRow(1, STREAM, 1, b"first")])  # drawn, uncommitted
            later = asyncio.create_task(
                shared_log.add_exchanges(second, [JournalRow(1, STREAM, 1, b"second")])
            )
            await until_a_lock_is_waited_for(reader)  # the second waits on the first (or has written)
            seen = await shared_log.exchanges_after(reader, 1, STREAM, 0)
            read_up_to = max((entry_id for entry_id, _ in seen), default=0)
            await first.commit()
            await later
            seen += await shared_log.exchanges_after(reader, 1, STREAM, read_up_to)
            assert [entry for _, entry in seen] == [b"first", b"second"]

    asyncio.run(main())


def test_the_entries_of_one_insert_keep_their_order_across_workspaces(database: str) -> None:
    prepare(database, Settings())

    async def main() -> None:
        async with await psycopg.AsyncConnection.connect(database, autocommit=True) as db:
            rows = [JournalRow(1, "ws_b", 1, b"1"), JournalRow(1, "ws_a", 2, b"2"),
                    JournalRow(1, "ws_b", 3, b"3")]
            await shared_log.add_exchanges(db, rows)
            cursor = await db.execute("SELECT generation, stream, n, entry FROM batchcalls_journal"
                                      " ORDER BY id")
            assert [JournalRow(g, s, n, bytes(e)) for g, s, n, e in await cursor.fetchall()] == rows

    asyncio.run(main())
