"""Ownership's SQL on a real PostgreSQL (cluster/leases.py, cluster/batch.py): a stream's lease is
held by one live instance; it frees itself when its holder's heartbeat lapses; every change of
owner bumps the epoch, and a group commit of a stale owner (old epoch) or of a log whose head moved
writes nothing. A lapse is a last heartbeat with a short lease (a fifth of a second): each test takes well
under a second."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg

from mock_server.cluster import leases, shared_log
from mock_server.cluster.batch import Batch, StreamPart, commit
from mock_server.cluster.schema import prepare
from mock_server.persistence.state_file import Entry
from mock_server.settings import Settings

LEASE = 0.2  # seconds
A, B = "inst-a", "inst-b"
A_URL, B_URL = "http://127.0.0.1:1/a", "http://127.0.0.1:2/b"


def run(database: str, body: Callable[[shared_log.Connection], Awaitable[Any]]) -> Any:
    """`body` on one autocommit connection to a prepared sandbox store."""
    prepare(database, Settings())

    async def main() -> Any:
        async with await psycopg.AsyncConnection.connect(database, autocommit=True) as db:
            return await body(db)

    return asyncio.run(main())


def row(request_id: str) -> Entry:
    return Entry(time.time(), None, None, "POST", "/v1/batch-calls", b"", [(b"host", b"x")], b"{}",
                 request_id, None, 201)


async def lapse(db: shared_log.Connection, instance: str, url: str) -> None:
    """`instance` beats a last time, with a short lease, and stops (killed): wait (bounded) until
    its lease has lapsed in the database's own time."""
    await leases.heartbeat(db, instance, url, LEASE)
    for _ in range(50):
        cursor = await db.execute("SELECT count(*) FROM batchcalls_instance"
                                  " WHERE id = %s AND expires_at > clock_timestamp()", (instance,))
        found = await cursor.fetchone()
        if found is not None and found[0] == 0:
            return
        await asyncio.sleep(LEASE / 4)
    raise AssertionError(f"{instance}'s lease never lapsed")


async def sandbox_stream_with_workspace(db: shared_log.Connection) -> int:
    """A holds the sandbox stream and created workspace `ws1` (key `truedy:k1`) in one commit;
    answers the epoch A holds the sandbox stream under."""
    await leases.heartbeat(db, A, A_URL, 30)
    taken = await leases.acquire(db, "", A, 1, inherent=True)
    assert isinstance(taken, leases.Acquired) and taken.head == 0
    batch = Batch({"": StreamPart(taken.epoch, 0, 1)}, [("", 1, row("req_1"), None)],
                  created=[("ws1", b"origin-of-ws1", ["truedy:k1"])])
    assert await commit(db, batch, A, 1) == {""}
    return taken.epoch


def test_a_live_holder_keeps_its_stream_and_a_lapsed_one_loses_it(database: str) -> None:
    async def body(db: shared_log.Connection) -> None:
        await sandbox_stream_with_workspace(db)
        beat = await leases.heartbeat(db, B, B_URL, 30)
        assert beat.peers == {A: A_URL} and beat.generation == 1
        held = await leases.acquire(db, "", B, 1, inherent=True)
        assert held == leases.Held(A, A_URL, 1)  # B forwards to A
        assert await leases.stream_of_keys(db, ["truedy:k1", "truedy:other"]) == {"ws1"}
        first = await leases.acquire(db, "ws1", B, 1, inherent=False)
        assert isinstance(first, leases.Acquired) and first.origin == b"origin-of-ws1"
        await lapse(db, A, A_URL)  # A stops renewing (killed): the sandbox stream is free
        taken = await leases.acquire(db, "", B, 1, inherent=True)
        assert isinstance(taken, leases.Acquired) and taken.head == 1 and taken.epoch == 2
        assert (await leases.heartbeat(db, B, B_URL, 30)).peers == {}
        assert await leases.owned_count(db) == {B: 2}

    run(database, body)


def test_a_stale_owner_writes_nothing_after_the_handover(database: str) -> None:
    async def body(db: shared_log.Connection) -> None:
        stale_epoch = await sandbox_stream_with_workspace(db)
        await lapse(db, A, A_URL)
        await leases.heartbeat(db, B, B_URL, 30)
        taken = await leases.acquire(db, "", B, 1, inherent=True)
        assert isinstance(taken, leases.Acquired)
        # A, paused past its lease, comes back and commits what it handled under its old epoch
        await leases.heartbeat(db, A, A_URL, 30)
        late = Batch({"": StreamPart(stale_epoch, 1, 2)}, [("", 2, row("req_late"), None)],
                     [("", ("req_late",))])
        assert await commit(db, late, A, 1) == set()
        # B's own row 2 follows row 1; a second batch still based on head 1 is refused
        mine = Batch({"": StreamPart(taken.epoch, 1, 2)}, [("", 2, row("req_b"), None)], [("", ("req_b",))])
        assert await commit(db, mine, B, 1) == {""}
        again = Batch({"": StreamPart(taken.epoch, 1, 2)}, [("", 2, row("req_b2"), None)])
        assert await commit(db, again, B, 1) == set()
        behind = await shared_log.behind(db, "", 0)
        assert [r.entry.request_id for r in behind.rows] == ["req_1", "req_b"]
        journal = await db.execute("SELECT count(*) FROM batchcalls_journal")
        assert await journal.fetchone() == (1,)  # the stale owner's entry is not in it either

    run(database, body)


def test_leaving_frees_every_lease_at_once(database: str) -> None:
    async def body(db: shared_log.Connection) -> None:
        await leases.heartbeat(db, A, A_URL, 30)
        assert isinstance(await leases.acquire(db, "", A, 1, inherent=True), leases.Acquired)
        await leases.heartbeat(db, B, B_URL, 30)
        assert isinstance(await leases.acquire(db, "", B, 1, inherent=True), leases.Held)
        await leases.leave(db, A)
        assert isinstance(await leases.acquire(db, "", B, 1, inherent=True), leases.Acquired)
        assert (await leases.heartbeat(db, B, B_URL, 30)).peers == {}

    run(database, body)


def test_a_lease_of_another_generation_is_not_taken(database: str) -> None:
    async def body(db: shared_log.Connection) -> None:
        await leases.heartbeat(db, A, A_URL, 30)
        assert await leases.acquire(db, "", A, 2, inherent=True) == leases.Held(None, None, None)
        assert await leases.acquire(db, "nope", A, 1, inherent=False) == leases.Held(None, None, None)

    run(database, body)


def test_what_an_owner_handled_before_it_lost_and_retook_its_lease_is_not_written(database: str) -> None:
    async def body(db: shared_log.Connection) -> None:
        old_epoch = await sandbox_stream_with_workspace(db)
        await lapse(db, A, A_URL)
        await leases.heartbeat(db, A, A_URL, 30)
        again = await leases.acquire(db, "", A, 1, inherent=True)
        assert isinstance(again, leases.Acquired) and again.epoch == old_epoch + 1
        handled_before = Batch({"": StreamPart(old_epoch, 1, 2)}, [("", 2, row("req_old"), None)])
        assert await commit(db, handled_before, A, 1) == set()
        now = Batch({"": StreamPart(again.epoch, 1, 2)}, [("", 2, row("req_new"), None)])
        assert await commit(db, now, A, 1) == {""}

    run(database, body)


def test_handing_over_taking_what_is_free_and_what_owners_wrote_of_their_workspaces(database: str) -> None:
    async def body(db: shared_log.Connection) -> None:
        epoch = await sandbox_stream_with_workspace(db)
        ws1 = await leases.acquire(db, "ws1", A, 1, inherent=False)
        assert isinstance(ws1, leases.Acquired)
        shown = Batch({"ws1": StreamPart(ws1.epoch, 0, 0, summary=b"shown")})
        assert await commit(db, shown, A, 1) == {"ws1"}
        assert await leases.summaries_since(db, 1, 0) == [("ws1", b"shown", 1)]
        assert await leases.summaries_since(db, 1, 1) == []
        await leases.heartbeat(db, B, B_URL, 30)
        assert sorted(await leases.holders(db, B, 1, None)) == [("", A, A_URL), ("ws1", A, A_URL)]
        assert await leases.hand_over(db, A, ["ws1"], "") == ["ws1"]  # rebalanced: to nobody
        assert await leases.holders(db, B, 1, ["ws1"]) == [("ws1", None, None)]
        assert await leases.take_free(db, B, 1, None) == ["ws1"]  # the sandbox stream is A's, alive
        assert await leases.hand_over(db, B, None, A) == ["ws1"]
        assert await leases.owned_count(db) == {A: 2}
        untouched = Batch({"": StreamPart(epoch, 1, 1)})
        assert await commit(db, untouched, A, 1) == {""}  # moving ws1 left the sandbox stream's epoch

    run(database, body)


def test_every_instance_reads_the_one_instance_secret(database: str) -> None:
    async def body(db: shared_log.Connection) -> None:
        first = await leases.instance_secret(db)
        assert len(first) >= 32 and await leases.instance_secret(db) == first

    run(database, body)


def test_a_lease_a_reset_of_everything_left_behind_is_taken_in_the_new_generation(database: str) -> None:
    async def body(db: shared_log.Connection) -> None:
        await leases.heartbeat(db, A, A_URL, 30)
        held = await leases.acquire(db, "ws_default", A, 1, inherent=True)
        assert isinstance(held, leases.Acquired)
        await leases.heartbeat(db, B, B_URL, 30)
        assert await leases.acquire(db, "ws_default", B, 1, inherent=True) == leases.Held(A, A_URL, 1)
        await db.execute("UPDATE batchcalls_meta SET value = '2' WHERE key = 'generation'")  # a reset
        taken = await leases.acquire(db, "ws_default", B, 2, inherent=True)
        assert isinstance(taken, leases.Acquired) and taken.head == 0 and taken.epoch == held.epoch + 1
        # A, still in generation 1, neither takes it back nor is told it is its own
        assert await leases.acquire(db, "ws_default", A, 1, inherent=True) == leases.Held(B, B_URL, 2)

    run(database, body)
