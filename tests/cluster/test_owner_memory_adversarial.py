"""Adversarial tests of `--ownership` (reads from memory, writes fenced by the lease's epoch): the
request journal of a request a non-owner answers, of a removed workspace, of a paused owner's reads,
and a client's workspace id that PostgreSQL cannot take."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time

import httpx
import psycopg
import pytest
from instances import Instance, start_all
from owned import LEASE, OWNED, bearer, live, owned_workspace, until
from support import API, CAMPAIGN


def test_a_request_a_non_owner_answers_is_in_the_owner_s_journal_once_answered(
    database: str, two: tuple[Instance, Instance]
) -> None:
    a, b = two
    _, key = owned_workspace(a.base)
    with psycopg.connect(database) as held:  # a background write of the journal waits for it
        held.execute("LOCK TABLE batchcalls_journal IN SHARE MODE")

        async def health_then_journal() -> tuple[httpx.Response, list[dict[str, str]] | None]:
            async with httpx.AsyncClient(timeout=10) as http:
                # a health check is never forwarded: b answers it, from the log
                health = asyncio.create_task(http.get(f"{b.base}/_mock/health", headers=key))
                done, _ = await asyncio.wait({health}, timeout=0.5)
                journal = None
                if done:  # answered: the journal, read through its owner, has its entry
                    journal = (await http.get(f"{a.base}/_mock/requests", headers=key)).json()["data"]
                held.rollback()
                return await health, journal

        health, journal = asyncio.run(health_then_journal())
    assert health.status_code == 200
    if journal is not None:
        assert journal[0]["request_id"] == health.headers["x-request-id"], [e["path"] for e in journal]
    journal = httpx.get(f"{a.base}/_mock/requests", headers=key).json()["data"]
    assert journal[0]["request_id"] == health.headers["x-request-id"]


def test_a_removed_workspace_leaves_no_journal_rows(database: str, two: tuple[Instance, Instance]) -> None:
    a, b = two
    stream, key = owned_workspace(a.base)
    with psycopg.connect(database) as held:
        held.execute("LOCK TABLE batchcalls_journal IN SHARE MODE")

        async def reads_then_remove() -> int:
            async with httpx.AsyncClient(timeout=10) as http:
                for _ in range(3):  # the first one's entry in flight, the others' pending
                    assert (await http.get(f"{a.base}{API}/batch-calls", headers=key)).status_code == 200
                removing = asyncio.create_task(http.delete(f"{b.base}/_mock/workspaces/{stream}"))
                await asyncio.sleep(0.3)
                held.rollback()
                return (await removing).status_code

        assert asyncio.run(reads_then_remove()) == 204
    time.sleep(0.3)  # the background write, had it anything left
    with psycopg.connect(database, autocommit=True) as db:
        left = db.execute("SELECT count(*) FROM batchcalls_journal WHERE stream = %s", (stream,)).fetchone()
    assert left == (0,)


@pytest.mark.xfail(strict=True, reason="known: the journal is ordered by insertion; a paused owner's pending "
                   "read entries are written after its successor's writes (docs/SCALING.md)")
def test_reads_an_owner_answered_before_it_was_paused_keep_their_place_in_the_journal(
    database: str, two: tuple[Instance, Instance]
) -> None:
    a, b = two
    _, key = owned_workspace(a.base)
    time.sleep(0.2)
    reads = []
    with psycopg.connect(database) as held:
        held.execute("LOCK TABLE batchcalls_journal IN SHARE MODE")
        for _ in range(3):  # the first one's entry in flight (waiting for the lock), the others' pending
            read = httpx.get(f"{a.base}{API}/batch-calls", headers=key)
            assert read.status_code == 200
            reads.append(read.headers["x-request-id"])
        os.kill(a.process.pid, signal.SIGSTOP)
        try:
            until(lambda: set(live(database)) == {b.base})
            time.sleep(LEASE)
            written: dict[str, httpx.Response] = {}
            writing = threading.Thread(target=lambda: written.update(
                w=httpx.post(f"{b.base}{API}/batch-calls", json=CAMPAIGN, headers=key, timeout=10)))
            writing.start()  # b takes the workspace over; its commit waits for the lock
            time.sleep(0.3)
            held.rollback()
            writing.join()
        finally:
            os.kill(a.process.pid, signal.SIGCONT)
    assert written["w"].status_code == 201
    time.sleep(0.5)  # a's background write, resumed
    journal = httpx.get(f"{b.base}/_mock/requests", headers=key).json()["data"]
    expected = [written["w"].headers["x-request-id"], *reads[::-1]]
    # newest first: b's write, then a's reads, answered before it
    assert [entry["request_id"] for entry in journal][:4] == expected, [e["method"] for e in journal]


def test_a_request_forwarded_to_an_owner_that_stopped_is_answered_once_its_lease_lapsed(
    two: tuple[Instance, Instance]
) -> None:
    """The kernel of a paused owner still takes the forwarded request: the instance that forwarded
    it answers 503 once its heartbeat finds the owner's lease lapsed (it waited 120 s before), and
    the next request is served by the new owner."""
    a, b = two
    _, key = owned_workspace(a.base)
    assert httpx.get(f"{b.base}{API}/batch-calls", headers=key).status_code == 200  # forwarded to a
    os.kill(a.process.pid, signal.SIGSTOP)
    try:
        stopped = httpx.get(f"{b.base}{API}/batch-calls", headers=key, timeout=20 * LEASE)
        assert stopped.status_code == 503, stopped.text
        assert "did not answer; retry in a moment" in stopped.text
        again = httpx.get(f"{b.base}{API}/batch-calls", headers=key, timeout=20 * LEASE)
        assert again.status_code == 200, again.text  # b took the workspace over
    finally:
        os.kill(a.process.pid, signal.SIGCONT)


def test_removing_a_workspace_whose_id_holds_a_nul_byte_is_a_client_error_not_an_outage(
    two: tuple[Instance, Instance]
) -> None:
    a, b = two
    for base in (a.base, b.base):
        refused = httpx.delete(f"{base}/_mock/workspaces/ws_%00")  # no workspace has such an id
        assert refused.status_code < 500, refused.text
        listed = httpx.get(f"{base}{API}/batch-calls", headers={"Authorization": "Bearer sk_test_sandbox"})
        assert listed.status_code == 200, listed.text  # the database was not found away: nothing refused
    a.stop()
    b.stop()
    assert "unavailable" not in "".join(a.output) + "".join(b.output)


def test_a_removal_refused_by_the_owner_leaves_the_admin_s_removal_through_another_instance_served(
    database: str,
) -> None:
    admin = {"X-Mock-Admin-Token": "t0ken"}
    a, b = start_all(*(("--store", database, *OWNED, "--admin-token", "t0ken"),) * 2)
    try:
        workspace = httpx.post(f"{a.base}/_mock/workspaces", headers=admin).json()
        key = bearer(workspace["api_key"])
        path = f"/_mock/workspaces/{workspace['workspace_id']}"
        assert httpx.post(f"{a.base}{API}/batch-calls", json=CAMPAIGN, headers=key).status_code == 201
        assert httpx.delete(f"{a.base}{path}", headers=key).status_code == 401  # its own key: refused
        removed = httpx.delete(f"{b.base}{path}", headers=admin)  # forwarded to a, the owner
        assert removed.status_code == 204, removed.text
        assert httpx.get(f"{a.base}{API}/batch-calls", headers=key).status_code == 401
    finally:
        a.stop()
        b.stop()
