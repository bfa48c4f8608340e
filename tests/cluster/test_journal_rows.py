"""An owner writes its reads' journal entries gathered, one row per workspace a write
(`cluster/journal_writer.py`): the journal still shows each read once, on any instance;
`--journal-size` still bounds what the database keeps; reads of one list page gathered in a row
store it once, and the journal shows each as it was answered; and a database of an earlier format
of the rows is refused."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from typing import Any

import httpx
import orjson
import psycopg
import pytest
from instances import Instance, launch, start_all
from owned import OWNED, owned_workspace, until
from support import API, CAMPAIGN

from mock_server.server import BEFORE_SHUTDOWN_SECONDS

READS = 60


def journal_rows(database: str, stream: str) -> list[int]:
    """How many entries each row of the workspace's journal holds, oldest first."""
    with psycopg.connect(database, autocommit=True) as db:
        found = db.execute("SELECT n FROM batchcalls_journal WHERE stream = %s ORDER BY id", (stream,))
        return [int(n) for (n,) in found.fetchall()]


async def reads(base: str, key: dict[str, str], count: int, at_once: int = 8) -> list[str]:
    """`count` reads of the workspace's list, `at_once` in flight: their request ids, as answered."""
    async with httpx.AsyncClient(base_url=base, headers=key, timeout=10) as http:
        answered: list[str] = []
        for start in range(0, count, at_once):
            batch = await asyncio.gather(
                *(http.get(f"{API}/batch-calls") for _ in range(min(at_once, count - start)))
            )
            assert {answer.status_code for answer in batch} == {200}
            answered += [answer.headers["x-request-id"] for answer in batch]
        return answered


def journal_entries(base: str, key: dict[str, str]) -> list[dict[str, Any]]:
    """The workspace's journal, newest first (its pages of 1,000)."""
    found: list[dict[str, Any]] = []
    while True:
        page = httpx.get(f"{base}/_mock/requests", params={"limit": 1000, "offset": len(found)}, headers=key)
        assert page.status_code == 200
        entries = page.json()["data"]
        found += entries
        if len(entries) < 1000:
            return found


def journal_ids(base: str, key: dict[str, str]) -> list[str]:
    """The request ids of the workspace's journal, oldest first."""
    return [entry["request_id"] for entry in journal_entries(base, key)][::-1]


def test_reads_answered_from_memory_share_rows_and_the_journal_shows_each_once(
    database: str, two: tuple[Instance, Instance]
) -> None:
    a, b = two
    stream, key = owned_workspace(a.base)
    ids = asyncio.run(reads(a.base, key, READS))
    for base in (b.base, a.base):  # through the other instance (forwarded to the owner), the owner
        shown = journal_ids(base, key)
        assert sorted(found for found in shown if found in set(ids)) == sorted(ids)  # each read once
    held = journal_rows(database, stream)
    assert sum(held) == len(journal_ids(a.base, key))  # every entry the journal shows is in the database
    assert len(held) < READS // 2, f"{READS} reads took {len(held)} rows"  # (one each before)


def test_reads_of_one_page_gathered_in_rows_store_it_once_and_the_journal_shows_each_as_answered(
    database: str, two: tuple[Instance, Instance]
) -> None:
    a, b = two
    stream, key = owned_workspace(a.base)
    for _ in range(12):  # a page of about 10 KB
        assert httpx.post(f"{a.base}{API}/batch-calls", json=CAMPAIGN, headers=key).status_code == 201

    async def lists() -> list[tuple[str, object]]:
        async with httpx.AsyncClient(base_url=a.base, headers=key, timeout=10) as http:
            found = []
            for _ in range(READS // 15):
                for answer in await asyncio.gather(*(http.get(f"{API}/batch-calls") for _ in range(15))):
                    assert answer.status_code == 200
                    found.append((answer.headers["x-request-id"], answer.json()))
            return found

    answered = asyncio.run(lists())
    page = len(orjson.dumps(answered[0][1]))
    shown = {entry["request_id"]: entry["response_body"] for entry in journal_entries(b.base, key)}
    assert all(shown[request_id] == body for request_id, body in answered)  # as answered, through b
    with psycopg.connect(database, autocommit=True) as db:
        stored = db.execute("SELECT sum(octet_length(entry)) FROM batchcalls_journal WHERE stream = %s"
                            " AND n > 1", (stream,)).fetchone()
        shared = db.execute("SELECT sum(n) FROM batchcalls_journal WHERE stream = %s AND n > 1",
                            (stream,)).fetchone()
    assert stored and shared and shared[0] >= READS // 2, shared  # most reads were gathered
    assert stored[0] < shared[0] * page / 3, (stored, shared, page)  # (a page each before: 8 KB a read)


def test_the_database_keeps_about_journal_size_entries_of_reads_gathered_in_rows(database: str) -> None:
    (a,) = start_all(("--store", database, *OWNED, "--journal-size", "5"))
    try:
        stream, key = owned_workspace(a.base)
        asyncio.run(reads(a.base, key, 1_000, at_once=16))  # PRUNE_EVERY entries: the table is cut

        def cut() -> bool:
            held = journal_rows(database, stream)
            return sum(held) >= 5 and sum(held[1:]) < 5 + 16  # the oldest row left holds some of the 5
        until(cut)
        assert len(journal_ids(a.base, key)) == 5
    finally:
        a.stop()


@pytest.mark.parametrize("earlier", ["1", "2"])
def test_a_database_of_an_earlier_format_of_the_journal_rows_is_refused(database: str, earlier: str) -> None:
    """Store format 1 (until 2026-12-07 a journal row was one entry's pickle) and 2 (until
    2026-12-07, 19:00 UTC, an answer was its bytes, never parts): an instance of this version reading one, or
    an instance of that version reading this one's rows, would misread them, so this one does not
    start on it (exit 2, one line)."""
    (a,) = start_all(("--store", database, *OWNED))
    a.stop()
    with psycopg.connect(database, autocommit=True) as db:
        db.execute("UPDATE batchcalls_meta SET value = jsonb_set(value::jsonb, '{store_format}',"
                   " %s::jsonb)::text WHERE key = 'settings'", (f'"{earlier}"',))
    late = launch("--store", database, *OWNED)
    out, err = late.communicate(timeout=30)
    assert late.returncode == 2, (out, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert f"store_format: store '{earlier}', now '3'" in err, err


def test_an_owner_that_stops_writes_its_gathered_entries_before_the_other_instance_serves_on(
    database: str, two: tuple[Instance, Instance]
) -> None:
    """Reads through B are forwarded to the owner A; A is stopped (SIGTERM) meanwhile, and B serves
    the workspace itself from then on, writing each entry at once. A's last entries must land
    before those (found by the adversarial review: they waited for the end of A's gathering, after
    uvicorn's drain, and came after B's)."""
    a, b = two
    _, key = owned_workspace(a.base)
    answered: list[list[str]] = [[] for _ in range(4)]

    async def reader(seen: list[str], until_time: float) -> None:
        async with httpx.AsyncClient(base_url=b.base, headers=key, timeout=10) as http:
            while time.monotonic() < until_time:
                with contextlib.suppress(httpx.HTTPError):
                    found = await http.get(f"{API}/batch-calls/none")
                    if found.status_code == 404:
                        seen.append(found.headers["x-request-id"])

    async def main() -> None:
        end = time.monotonic() + 1.2
        readers = asyncio.gather(*(reader(seen, end) for seen in answered))
        await asyncio.sleep(0.5)
        await asyncio.to_thread(a.stop)
        await readers

    asyncio.run(main())
    position = {request_id: at for at, request_id in enumerate(journal_ids(b.base, key))}
    assert all(request_id in position for seen in answered for request_id in seen)  # none lost
    for seen in answered:  # each client's reads, one after the other: in the journal in that order
        order = [position[request_id] for request_id in seen]
        assert order == sorted(order)


def test_an_owner_stopped_while_its_journal_write_waits_still_writes_every_read_it_answered(
    database: str,
) -> None:
    """The shutdown waits BEFORE_SHUTDOWN_SECONDS for the pending entries, then goes on; the write
    under way is not cancelled: it ends once the database lets it, before the leases are let go
    (found by the second adversarial review: the time limit cancelled it, its entries were lost, and
    the leases stayed with the stopped instance)."""
    (a,) = start_all(("--store", database, *OWNED))
    stream, key = owned_workspace(a.base)
    answered = asyncio.run(reads(a.base, key, 20, at_once=4))
    with psycopg.connect(database) as held:  # the background write waits for it
        held.execute("LOCK TABLE batchcalls_journal IN ACCESS EXCLUSIVE MODE")
        answered += asyncio.run(reads(a.base, key, 20, at_once=4))
        stopping = threading.Thread(target=a.stop)
        stopping.start()
        time.sleep(BEFORE_SHUTDOWN_SECONDS + 1)  # past the hook's time: the shutdown goes on
        held.rollback()
    stopping.join(30)
    assert a.process.returncode is not None and "Traceback" not in "".join(a.output)
    with psycopg.connect(database, autocommit=True) as db:
        owner = db.execute("SELECT owner FROM batchcalls_stream WHERE stream = %s", (stream,)).fetchone()
    assert owner == ("",)  # let go at the end
    (b,) = start_all(("--store", database, *OWNED))
    try:
        assert set(answered) <= set(journal_ids(b.base, key))
    finally:
        b.stop()
