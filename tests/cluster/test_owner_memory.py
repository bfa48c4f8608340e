"""An owner serves its workspaces from memory (`--ownership`): reads with no round trip to the
database, writes fenced by the lease's epoch. What held across instances still holds: a reset of
everything or a workspace's removal made through another instance is seen by the owner's very next
read, a write by an instance that does not hold the lease commits nothing, and the request journal
keeps every read, in order."""

from __future__ import annotations

import asyncio
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest
from instances import Instance, start_all
from owned import OWNED, bearer, lease_to, live, metric, owned_workspace, until
from support import API, AUTH, CAMPAIGN

from mock_server.cluster.journal_writer import GATHER_SECONDS, PRUNE_EVERY
from mock_server.cluster.owner import PENDING_ENTRIES, ROOM_SECONDS

FROM_MEMORY = "batchcalls_cluster_reads_from_memory_total"


def rows_of(database: str, stream: str) -> int:
    with psycopg.connect(database, autocommit=True) as db:
        found = db.execute("SELECT count(*) FROM batchcalls_log WHERE stream = %s", (stream,)).fetchone()
        return int(found[0]) if found else 0


def test_the_owner_answers_reads_from_memory_and_the_journal_keeps_them_in_order(
    two: tuple[Instance, Instance]
) -> None:
    a, b = two
    created = httpx.post(f"{a.base}{API}/batch-calls", json=CAMPAIGN, headers=AUTH)
    assert created.status_code == 201
    path = f"{API}/batch-calls/{created.json()['data']['id']}"
    before = metric(a.base, FROM_MEMORY)
    request_ids = [created.headers["x-request-id"]]
    for base in (a.base, b.base) * 5:  # b forwards each to a, the owner
        read = httpx.get(f"{base}{path}", headers=AUTH)
        assert read.status_code == 200 and read.json()["data"] == created.json()["data"]
        request_ids.append(read.headers["x-request-id"])
    assert metric(a.base, FROM_MEMORY) == before + 10
    assert metric(b.base, FROM_MEMORY) == 0
    # read through the other instance at once: every entry, the reads' too, in the order answered
    journal = httpx.get(f"{b.base}/_mock/requests", params={"limit": 50}, headers=AUTH).json()["data"]
    assert [entry["request_id"] for entry in journal][: len(request_ids)] == request_ids[::-1]
    assert [entry["status"] for entry in journal][:11] == [200] * 10 + [201]


def test_a_reset_of_everything_through_another_instance_is_seen_by_the_owner_s_next_read(
    two: tuple[Instance, Instance]
) -> None:
    a, b = two
    created = httpx.post(f"{a.base}{API}/batch-calls", json=CAMPAIGN, headers=AUTH)
    path = f"{API}/batch-calls/{created.json()['data']['id']}"
    before = metric(a.base, FROM_MEMORY)
    assert httpx.get(f"{a.base}{path}", headers=AUTH).status_code == 200
    assert metric(a.base, FROM_MEMORY) == before + 1  # a serves it from memory
    assert httpx.post(f"{b.base}/_mock/reset", params={"scope": "all"}).status_code == 200
    # b told a before it answered: a's memory of before the reset is no longer served
    assert httpx.get(f"{a.base}{path}", headers=AUTH).status_code == 404
    assert httpx.get(f"{a.base}{API}/batch-calls", headers=AUTH).json()["data"] == []


def test_a_workspace_removed_through_another_instance_is_gone_at_its_owner_s_next_read(
    two: tuple[Instance, Instance]
) -> None:
    a, b = two
    workspace = httpx.post(f"{b.base}/_mock/workspaces").json()
    key = bearer(workspace["api_key"])
    created = httpx.post(f"{a.base}{API}/batch-calls", json=CAMPAIGN, headers=key)  # a owns it
    assert created.status_code == 201
    assert httpx.get(f"{a.base}{API}/batch-calls", headers=key).status_code == 200
    assert httpx.delete(f"{b.base}/_mock/workspaces/{workspace['workspace_id']}").status_code == 204
    assert httpx.get(f"{a.base}{API}/batch-calls", headers=key).status_code == 401
    assert httpx.get(f"{b.base}{API}/batch-calls", headers=key).status_code == 401


def test_a_write_where_the_lease_is_not_held_commits_nothing(
    database: str, two: tuple[Instance, Instance]
) -> None:
    a, _ = two
    stream, key = owned_workspace(a.base)
    with psycopg.connect(database, autocommit=True) as db, socket.socket() as refusing:
        db.execute("DELETE FROM batchcalls_stream WHERE stream = %s", (stream,))
        refusing.bind(("127.0.0.1", 0))  # bound, never listening: the connection is refused
        # another instance, alive and unreachable, took the lease over
        lease_to(database, stream, "taker", f"http://127.0.0.1:{refusing.getsockname()[1]}")
        rows = rows_of(database, stream)
        refused = httpx.post(f"{a.base}{API}/batch-calls", json=CAMPAIGN, headers=key)
    assert refused.status_code == 503 and "retry" in refused.json()["error"]["message"]
    assert rows_of(database, stream) == rows
    before = metric(a.base, FROM_MEMORY)
    listed = httpx.get(f"{a.base}{API}/batch-calls", headers=key)  # a read is still served here
    assert listed.status_code == 200 and len(listed.json()["data"]) == 1
    assert metric(a.base, FROM_MEMORY) == before  # from the log, no longer from memory


def test_a_write_tried_again_after_its_copy_went_stale_reads_its_body_again(database: str) -> None:
    """A write whose snapshot is due begins a transaction after its handler ran (and after the
    background write of its workspace's journal entries); if meanwhile another request's failed
    commit left the copy stale, it is handled again once the copy is
    rebuilt. That second handling reads the body again. Before, it read the request's drained
    `receive`, which waits for the client to leave: no answer, and the rebuild's exclusive lock held
    every other request of the process out meanwhile (the adversarial review: a workspace's
    removal racing its writes)."""
    (a,) = start_all(("--store", database, *OWNED, "--snapshot-every", "1"))
    try:
        first, key = owned_workspace(a.base)
        second, other = owned_workspace(a.base)
        for each in (key, other):  # caught up under their leases
            assert httpx.get(f"{a.base}{API}/batch-calls", headers=each).status_code == 200
        for each in (key, other):  # a journal read writes the entries pending (gathered) before it reads
            assert httpx.get(f"{a.base}/_mock/requests", headers=each).status_code == 200
        with psycopg.connect(database) as held, psycopg.connect(database, autocommit=True) as db, \
                ThreadPoolExecutor(1) as pool:
            held.execute("LOCK TABLE batchcalls_journal IN SHARE MODE")
            # a read's entry, written in the background, waits for the lock; the write of its
            # workspace is handled, then waits for that write before its own transaction
            assert httpx.get(f"{a.base}{API}/batch-calls", headers=key).status_code == 200
            write = pool.submit(httpx.post, f"{a.base}{API}/batch-calls", json=CAMPAIGN, headers=key,
                                timeout=10)
            time.sleep(0.5)
            db.execute("UPDATE batchcalls_stream SET epoch = epoch + 1 WHERE stream = %s", (second,))
            refused = httpx.post(f"{a.base}{API}/batch-calls", json=CAMPAIGN, headers=other, timeout=10)
            assert refused.status_code == 503  # its fence failed after its handler ran: the copy is stale
            held.rollback()
            created = write.result(15)
        assert created.status_code == 201
        listed = httpx.get(f"{a.base}{API}/batch-calls", headers=key).json()["data"]
        assert [batch["id"] for batch in listed][0] == created.json()["data"]["id"] and len(listed) == 2
    finally:
        a.stop()


def test_emptying_the_journal_drops_the_reads_whose_entries_were_not_written_yet(
    database: str, two: tuple[Instance, Instance]
) -> None:
    a, b = two
    with psycopg.connect(database) as held:  # the background write of the reads' entries waits for it
        held.execute("LOCK TABLE batchcalls_journal IN SHARE MODE")

        async def reads_then_empty() -> int:
            async with httpx.AsyncClient(base_url=a.base, headers=AUTH, timeout=10) as http:
                answers = await asyncio.gather(*(http.get(f"{API}/batch-calls") for _ in range(20)))
                assert {answer.status_code for answer in answers} == {200}  # none waited for the database
                emptying = asyncio.create_task(http.delete("/_mock/requests"))
                await asyncio.sleep(0.3)  # it reaches the owner, and waits for the write in flight
                held.rollback()
                return (await emptying).status_code

        assert asyncio.run(reads_then_empty()) == 204
    assert httpx.get(f"{b.base}/_mock/requests", headers=AUTH).json()["data"] == []
    assert httpx.get(f"{a.base}/_mock/requests", headers=AUTH).json()["data"] == []


def test_an_owner_s_writes_and_snapshots_are_what_the_next_owner_takes_over(database: str) -> None:
    a, b = start_all(*(("--store", database, *OWNED, "--snapshot-every", "3"),) * 2)
    try:
        created = [httpx.post(f"{a.base}{API}/batch-calls", json=CAMPAIGN, headers=AUTH) for _ in range(7)]
        assert {answer.status_code for answer in created} == {201}
        with psycopg.connect(database, autocommit=True) as db:  # snapshots at rows 3 and 6, then row 7
            assert db.execute("SELECT n FROM batchcalls_snapshot WHERE stream <> ''").fetchall() == [(6,)]
            assert db.execute("SELECT n FROM batchcalls_log WHERE stream <> '' ORDER BY n").fetchall() == [
                (4,), (5,), (6,), (7,)]
        a.kill()
        until(lambda: set(live(database)) == {b.base})
        listed = httpx.get(f"{b.base}{API}/batch-calls?limit=10", headers=AUTH).json()["data"]
        assert [batch["id"] for batch in listed] == [answer.json()["data"]["id"] for answer in created][::-1]
    finally:
        a.stop()
        b.stop()


def test_writes_of_many_workspaces_in_flight_share_a_commit_and_each_is_fenced_alone(
    database: str, two: tuple[Instance, Instance]
) -> None:
    a, _ = two
    keys = [bearer(httpx.post(f"{a.base}/_mock/workspaces").json()["api_key"]) for _ in range(8)]
    for key in keys:  # a owns each
        assert httpx.get(f"{a.base}{API}/batch-calls", headers=key).status_code == 200
    stolen = httpx.get(f"{a.base}/_mock/health", headers=keys[-1]).json()["workspace_id"]
    with psycopg.connect(database, autocommit=True) as db:  # the last one's lease is another's now
        db.execute("UPDATE batchcalls_stream SET epoch = epoch + 1 WHERE stream = %s", (stolen,))
    commits = "batchcalls_cluster_group_commits_total"
    writes = "batchcalls_cluster_group_committed_writes_total"
    before = metric(a.base, commits), metric(a.base, writes)
    with psycopg.connect(database) as held:  # the first commit waits: the others arrive meanwhile

        async def creates() -> list[httpx.Response]:
            held.execute("LOCK TABLE batchcalls_log IN SHARE MODE")
            async with httpx.AsyncClient(base_url=a.base, timeout=10) as http:
                sent = [asyncio.create_task(http.post(f"{API}/batch-calls", json=CAMPAIGN, headers=key))
                        for key in keys]
                await asyncio.sleep(0.3)
                held.rollback()
                return list(await asyncio.gather(*sent))

        answers = asyncio.run(creates())
    assert [answer.status_code for answer in answers] == [201] * 7 + [503]
    # the first alone, then those that arrived while it waited, together (however many had by then)
    assert metric(a.base, writes) - before[1] == 8
    assert metric(a.base, commits) - before[0] < 8
    for key, answer in zip(keys[:-1], answers, strict=False):
        listed = httpx.get(f"{a.base}{API}/batch-calls", headers=key).json()["data"]
        assert [batch["id"] for batch in listed] == [answer.json()["data"]["id"]]
    assert rows_of(database, stolen) == 0


def test_writes_waiting_for_their_group_commit_hold_no_pool_connection(
    database: str, two: tuple[Instance, Instance]
) -> None:
    """More writes of owned workspaces in flight than the pool has connections (20), their commit
    held up past the pool's 2 s wait: every one commits once it may, and meanwhile a request that
    needs a connection (a journal read) gets one. Before, each write held a pool connection while
    it waited for its commit: the writes past the twentieth and the journal read were 503s."""
    a, _ = two
    keys = [bearer(httpx.post(f"{a.base}/_mock/workspaces").json()["api_key"]) for _ in range(25)]
    for key in keys:  # a owns each, and has caught up under its lease
        assert httpx.get(f"{a.base}{API}/batch-calls", headers=key).status_code == 200
    reader = keys.pop()
    with psycopg.connect(database) as held:  # every commit waits for it

        async def creates() -> tuple[list[int], int]:
            held.execute("LOCK TABLE batchcalls_log IN SHARE MODE")
            async with httpx.AsyncClient(base_url=a.base, timeout=20) as http:
                sent = [asyncio.create_task(http.post(f"{API}/batch-calls", json=CAMPAIGN, headers=key))
                        for key in keys]
                await asyncio.sleep(0.5)  # all of them waiting for the commit
                journal = await http.get("/_mock/requests", headers=reader)
                await asyncio.sleep(2)  # past the pool's wait for a connection
                assert not any(task.done() for task in sent)
                held.rollback()
                return [answer.status_code for answer in await asyncio.gather(*sent)], journal.status_code

        statuses, journal_read = asyncio.run(creates())
    assert journal_read == 200
    assert statuses == [201] * len(keys)


def test_an_owner_s_writes_cut_the_workspace_s_journal_to_its_size(database: str) -> None:
    """Every PRUNE_EVERY entries an instance writes for a workspace, its journal's table is cut to
    `--journal-size`: so too when they are an owner's writes, which hold no connection of their own
    (the cut takes one)."""
    (a,) = start_all(("--store", database, *OWNED, "--journal-size", "5", "--max-batches", "2000"))
    try:
        stream, key = owned_workspace(a.base)
        assert httpx.get(f"{a.base}{API}/batch-calls", headers=key).status_code == 200  # caught up

        async def creates() -> list[int]:
            async with httpx.AsyncClient(base_url=a.base, headers=key, timeout=20) as http:
                return [(await http.post(f"{API}/batch-calls", json=CAMPAIGN)).status_code
                        for _ in range(PRUNE_EVERY)]

        assert set(asyncio.run(creates())) == {201}

        def kept() -> int:
            with psycopg.connect(database, autocommit=True) as db:
                found = db.execute("SELECT coalesce(sum(n), 0) FROM batchcalls_journal WHERE stream = %s",
                                   (stream,)).fetchone()
            return int(found[0]) if found else 0

        until(lambda: kept() <= 5 + 2)  # cut after the PRUNE_EVERY-th entry's answer; 2 more since
    finally:
        a.stop()


@pytest.mark.parametrize(("held_for", "last_from_memory"), [(0.5, True), (ROOM_SECONDS + 1, False)])
def test_reads_served_from_memory_stop_when_their_journal_entries_wait_for_a_lagging_database(
    database: str, two: tuple[Instance, Instance], held_for: float, last_from_memory: bool
) -> None:
    """PENDING_ENTRIES entries wait at most. The next read waits for their write: once it is done,
    that read is answered from memory; past ROOM_SECONDS it writes its own entry (behind the same
    lagging database) instead. Before, it went to the database at once, and under load such reads
    held every pool connection behind the background write: 503s for a database that was up."""
    a, _ = two
    _, key = owned_workspace(a.base)
    assert httpx.get(f"{a.base}{API}/batch-calls", headers=key).status_code == 200  # caught up: from memory
    # the setup's entries written, and the gathering's pause after that write over: the first read's
    # write begins at once with its one entry (within the pause it gathered the next reads' too: a
    # loaded machine's CI run counted 515)
    time.sleep(4 * GATHER_SECONDS)
    before = metric(a.base, FROM_MEMORY)
    with psycopg.connect(database) as held:  # the background write of the entries waits for it

        async def reads() -> tuple[int, bool]:
            held.execute("LOCK TABLE batchcalls_journal IN SHARE MODE")
            async with httpx.AsyncClient(base_url=a.base, headers=key, timeout=30) as http:
                answered = 0
                while True:  # one entry in flight, then PENDING_ENTRIES waiting: the next read waits
                    read = asyncio.create_task(http.get(f"{API}/batch-calls"))
                    done, _ = await asyncio.wait({read}, timeout=held_for)
                    if not done and metric(a.base, FROM_MEMORY) - before > answered:
                        await read  # only slow (a loaded machine): it was served from memory
                    elif not done:
                        break  # it waits: for the background write, then (past ROOM_SECONDS) its own
                    assert read.result().status_code == 200
                    answered += 1
                    assert answered <= PENDING_ENTRIES + 2, "the entries waiting were not bounded"
                held.rollback()
                return answered, (await read).status_code == 200

        answered, last_answered = asyncio.run(reads())
    assert last_answered
    assert answered == PENDING_ENTRIES + 1  # the first one's entry in flight, then those waiting
    # each from memory until the bound; the one that waited, as the database's write allowed
    assert metric(a.base, FROM_MEMORY) - before == answered + (1 if last_from_memory else 0)

def test_a_read_served_as_a_write_does_not_wait_for_another_workspace_s_journal(
    database: str, two: tuple[Instance, Instance]
) -> None:
    """Only a read that the wait could let be answered from memory waits: one of a workspace with a
    fault rule (served under the stream's lock, as a write) goes on at once, whatever the other
    workspaces' entries waiting (found by an adversarial pass: it waited ROOM_SECONDS)."""
    a, _ = two
    stream_a, key_a = owned_workspace(a.base)
    _, key_b = owned_workspace(a.base)
    rule = {"status": 503, "path": "/nowhere"}  # never fires, but B's reads are served as writes
    assert httpx.post(f"{a.base}/_mock/faults", json=rule, headers=key_b).status_code in (200, 201)
    assert httpx.get(f"{a.base}{API}/batch-calls", headers=key_a).status_code == 200  # A caught up
    with psycopg.connect(database, autocommit=True) as held:  # A's journal writes wait for it
        held.execute("SELECT pg_advisory_lock(hashtextextended('journal:' || %s, 0))", (stream_a,))

        async def pile_up() -> None:
            async with httpx.AsyncClient(base_url=a.base, headers=key_a, timeout=10) as http:
                for _ in range(PENDING_ENTRIES + 1):  # one in flight (held), then PENDING_ENTRIES
                    assert (await http.get(f"{API}/batch-calls")).status_code == 200

        asyncio.run(asyncio.wait_for(pile_up(), 30))
        started = time.monotonic()
        read = httpx.get(f"{a.base}{API}/batch-calls", headers=key_b, timeout=10)
        took = time.monotonic() - started
        held.execute("SELECT pg_advisory_unlock_all()")
    assert read.status_code == 200
    assert took < ROOM_SECONDS / 2, f"B's read (served as a write) waited {took:.2f} s for A's journal"
