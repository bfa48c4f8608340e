"""Ownership's SQL on a real PostgreSQL (cluster/leases.py): a stream's lease is held by one live
instance; it frees itself when its holder's heartbeat lapses, or at once when it leaves; every
change of owner bumps the epoch. A lapse is a last heartbeat with a short lease (a fifth of a
second): each test takes well under a second."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
import pytest
from lock_waits import until_a_lock_is_waited_for

from mock_server.cluster import leases, shared_log
from mock_server.cluster.schema import prepare
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


async def sandbox_stream_held_by_a(db: shared_log.Connection) -> int:
    """A holds the sandbox stream; answers the epoch it holds it under."""
    await leases.heartbeat(db, A, A_URL, 30)
    taken = await leases.acquire(db, "", A, 1, inherent=True)
    assert isinstance(taken, leases.Acquired)
    return taken.epoch


def test_a_live_holder_keeps_its_stream_and_a_lapsed_one_loses_it(database: str) -> None:
    async def body(db: shared_log.Connection) -> None:
        epoch = await sandbox_stream_held_by_a(db)
        beat = await leases.heartbeat(db, B, B_URL, 30)
        assert beat.peers == {A: A_URL} and beat.generation == 1
        held = await leases.acquire(db, "", B, 1, inherent=True)
        assert held == leases.Held(A, A_URL, 1)  # B forwards to A
        await lapse(db, A, A_URL)  # A stops renewing (killed): the sandbox stream is free
        taken = await leases.acquire(db, "", B, 1, inherent=True)
        assert isinstance(taken, leases.Acquired) and taken.epoch == epoch + 1
        assert (await leases.heartbeat(db, B, B_URL, 30)).peers == {}

    run(database, body)


def test_a_lease_taken_while_another_waited_for_the_row_stays_with_its_taker(database: str) -> None:
    """B asks for a free stream while A, not yet registered, holds its row: A registers and takes
    it, then commits. B, which waited for the row, must find A alive and leave it A's (deciding
    with a snapshot from before its wait, it took the lease from a live owner: an adversarial pass)."""
    async def body(db: shared_log.Connection) -> None:
        await leases.heartbeat(db, B, B_URL, 30)
        assert isinstance(await leases.acquire(db, "ws_x", B, 1, inherent=True), leases.Acquired)
        await leases.leave(db, B)  # free again, B gone
        await leases.heartbeat(db, B, B_URL, 30)  # and back
        async with await psycopg.AsyncConnection.connect(database) as a:  # A's transaction
            await a.execute("SELECT 1 FROM batchcalls_stream WHERE stream = 'ws_x' FOR UPDATE")
            asking = asyncio.create_task(leases.acquire(db, "ws_x", B, 1, inherent=True))
            await until_a_lock_is_waited_for(a)  # B waits for the row
            assert not asking.done()
            await leases.heartbeat(a, A, A_URL, 30)  # A registers...
            await a.execute("UPDATE batchcalls_stream SET owner = %s, epoch = epoch + 1"
                            " WHERE stream = 'ws_x'", (A,))  # ...and takes the stream
            await a.commit()
        assert await asking == leases.Held(A, A_URL, 1)

    run(database, body)


def test_inside_a_begun_transaction_a_lease_is_taken_in_a_savepoint(database: str) -> None:
    """A removal asks within its transaction: what acquire did is undone with it, and a failure of
    acquire (here a lock it waited for too long) leaves that transaction usable."""
    async def body(db: shared_log.Connection) -> None:
        await leases.heartbeat(db, A, A_URL, 30)
        await db.execute("BEGIN")
        assert isinstance(await leases.acquire(db, "ws_y", A, 1, inherent=True), leases.Acquired)
        await db.execute("ROLLBACK")
        assert await leases.acquire(db, "ws_y", A, 1, inherent=False) == leases.Held(None, None, None)
        assert isinstance(await leases.acquire(db, "ws_y", A, 1, inherent=True), leases.Acquired)
        async with await psycopg.AsyncConnection.connect(database) as other:
            await other.execute("SELECT 1 FROM batchcalls_stream WHERE stream = 'ws_y' FOR UPDATE")
            await db.execute("BEGIN")
            await db.execute("SET LOCAL lock_timeout = '50ms'")
            with pytest.raises(psycopg.errors.LockNotAvailable):
                await leases.acquire(db, "ws_y", A, 1, inherent=True)
            cursor = await db.execute("SELECT 1")  # the transaction goes on
            assert await cursor.fetchone() == (1,)
            await db.execute("COMMIT")
        assert isinstance(await leases.acquire(db, "ws_y", A, 1, inherent=True), leases.Acquired)

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


def test_every_instance_reads_the_one_instance_secret(database: str) -> None:
    async def body(db: shared_log.Connection) -> None:
        first = await leases.instance_secret(db)
        assert len(first) >= 32 and await leases.instance_secret(db) == first

    run(database, body)


def test_an_instance_whose_secret_waited_for_anothers_reads_that_one(database: str) -> None:
    """Two instances starting at once: the second's insert waits for the first's to commit, and it
    must then read the first's secret (a read in the same statement would find none: CI failure)."""
    async def body(db: shared_log.Connection) -> None:
        async with await psycopg.AsyncConnection.connect(database) as first:  # a transaction
            await first.execute("INSERT INTO batchcalls_meta VALUES ('instance_secret', 'drawn-first')")
            second = asyncio.create_task(leases.instance_secret(db))
            await until_a_lock_is_waited_for(first)  # the second's insert waits on the first's
            assert not second.done()
            await first.commit()
        assert await second == "drawn-first"

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
        assert isinstance(taken, leases.Acquired) and taken.epoch == held.epoch + 1
        # A, still in generation 1, neither takes it back nor is told it is its own
        assert await leases.acquire(db, "ws_default", A, 1, inherent=True) == leases.Held(B, B_URL, 2)

    run(database, body)


def test_a_removed_workspace_s_lease_is_taken_by_nobody_until_a_reset(database: str) -> None:
    """Once a workspace is removed, its stream's lease is no one's and free to no one in its
    generation. Before, it was free (`''`): a request of the workspace tried again after the removal
    took it back, and it counted in that instance's share for good (the adversarial review)."""
    async def body(db: shared_log.Connection) -> None:
        await leases.heartbeat(db, A, A_URL, 30)
        assert isinstance(await leases.acquire(db, "ws_gone", A, 1, inherent=True), leases.Acquired)
        await shared_log.forget_stream(db, 1, "ws_gone", 1_700_000_000.0, "DELETE",
                                       "/_mock/workspaces/ws_gone")
        for me in (A, B):
            found = await leases.acquire(db, "ws_gone", me, 1, inherent=True)
            assert isinstance(found, leases.Held) and found.url is None
        assert await leases.held_by_live(db, 1, "ws_default") == {A: 0}
        await db.execute("UPDATE batchcalls_meta SET value = '2' WHERE key = 'generation'")  # a reset
        assert isinstance(await leases.acquire(db, "ws_gone", A, 2, inherent=True), leases.Acquired)

    run(database, body)
