"""`serve --store … --ownership`: every instance registers its URL and renews a heartbeat, and is
dead to the others once it lapses; a workspace is owned by the instance that served it first; a
request reaching another instance is forwarded to the owner and answered with its bytes, so two
instances answer as one process; an owner killed with kill -9 loses its workspaces to the others.
Leases are short (`--lease-seconds 0.5`): every wait is bounded by a few of them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pg_cluster
import psycopg
import pytest
from instances import Instance, launch, listening_on, wait_until_up, without_request_ids, workers
from owned import FLAGS, LEASE, OWNED, bearer, lease_to, live, until, workspace_leases
from support import API, AUTH, CAMPAIGN

from mock_server.app import create_app
from mock_server.cluster.forwarding import packed
from mock_server.settings import Settings


def test_each_instance_registers_its_address_and_is_dead_once_its_heartbeat_lapses(
    database: str, two: tuple[Instance, Instance]
) -> None:
    a, b = two
    assert set(live(database)) == {a.base, b.base}
    a.kill()
    until(lambda: set(live(database)) == {b.base})
    time.sleep(LEASE)  # b renews: still alive a whole lease later
    assert set(live(database)) == {b.base}
    b.stop()  # leaving removes its row at once (the killed one's stays, dead, until a day old)
    with psycopg.connect(database, autocommit=True) as db:
        assert db.execute("SELECT url FROM batchcalls_instance").fetchall() == [(a.base,)]


def test_a_workspace_is_owned_where_it_is_first_served_and_taken_over_when_its_owner_dies(
    database: str, two: tuple[Instance, Instance]
) -> None:
    a, b = two
    ids = live(database)
    created = httpx.post(f"{a.base}{API}/batch-calls", json=CAMPAIGN, headers=AUTH)
    assert created.status_code == 201
    [(stream, owner, epoch)] = workspace_leases(database)
    assert owner == ids[a.base]
    batch = created.json()["data"]["id"]
    assert httpx.get(f"{b.base}{API}/batch-calls/{batch}", headers=AUTH).status_code == 200
    assert workspace_leases(database) == [(stream, ids[a.base], epoch)]  # b forwarded, a still owns it
    a.kill()
    until(lambda: set(live(database)) == {b.base})
    read = httpx.get(f"{b.base}{API}/batch-calls/{batch}", headers=AUTH)  # nothing acknowledged is lost
    assert read.status_code == 200 and read.json()["data"] == created.json()["data"]
    assert workspace_leases(database) == [(stream, ids[b.base], epoch + 1)]


def handled(base: str) -> int:
    """How many API requests the instance handled itself (its own metrics: a forwarder counts none)."""
    metrics = httpx.get(f"{base}/_mock/metrics").text.splitlines()
    return sum(int(float(line.rsplit(" ", 1)[1])) for line in metrics
               if line.startswith('batchcalls_requests_total{dialect="truedy"'))


def steps() -> list[tuple[str, str, Any]]:
    """Writes and reads of one workspace (`{a}`: the first create's id)."""
    return [
        ("POST", f"{API}/batch-calls", CAMPAIGN),
        ("GET", f"{API}/batch-calls/{{a}}", None),
        ("POST", f"{API}/batch-calls/{{a}}/schedule", None),
        ("POST", "/_mock/clock/advance", {"seconds": 3 * 3600}),  # the workspace's, as any layer sees it
        ("GET", f"{API}/batch-calls/{{a}}", None),
        ("POST", f"{API}/batch-calls/{{a}}/pause", None),
        ("GET", f"{API}/batch-calls?limit=10", None),
        ("POST", f"{API}/batch-calls/{{a}}/pause", None),  # an outcome that is an error
        ("GET", f"{API}/batch-calls/nope", None),
        ("POST", f"{API}/batch-calls", CAMPAIGN),
        ("GET", f"{API}/batch-calls?limit=10", None),
    ]


def play(bases: list[str]) -> list[tuple[int, Any, bytes, list[tuple[str, str]]]]:
    """Request i to bases[i % len(bases)]; what each answered (status, JSON without request ids,
    raw body with its request id blanked, headers but the request id's and the date)."""
    answers = []
    ids: dict[str, str] = {}
    with httpx.Client(timeout=10) as http:
        for i, (method, path, body) in enumerate(steps()):
            answer = http.request(method, bases[i % len(bases)] + path.format(**ids), json=body, headers=AUTH)
            payload = answer.json()
            if method == "POST" and answer.status_code == 201:
                ids.setdefault("a", payload["data"]["id"])
            headers = [(k, v) for k, v in answer.headers.multi_items() if k not in ("date", "x-request-id")]
            raw = answer.content.replace(answer.headers["x-request-id"].encode(), b"req_")
            answers.append((answer.status_code, without_request_ids(payload), raw, headers))
    return answers


def test_writes_on_one_instance_and_reads_on_the_other_answer_as_one_process(
    database: str, serve: Callable[..., Instance], two: tuple[Instance, Instance]
) -> None:
    single = serve(*FLAGS)
    alone = play([single.base])
    a, b = two
    split = play([a.base, b.base])
    assert [s for s, *_ in split] == [201, 200, 200, 200, 200, 200, 200, 422, 404, 201, 200]
    for one, two_ in zip(alone, split, strict=True):
        assert one[:2] == two_[:2] and one[3] == two_[3]
    # the owner's exact bytes (but for the request id each instance draws)
    assert [one[2] for one in alone] == [two_[2] for two_ in split]
    ids = live(database)
    assert [owner for _, owner, _ in workspace_leases(database)] == [ids[a.base]]
    api_requests = sum(1 for _, path, _ in steps() if path.startswith(API))
    assert (handled(a.base), handled(b.base)) == (api_requests, 0)  # b forwarded each request it got
    forwarded = [line for line in httpx.get(f"{b.base}/_mock/metrics").text.splitlines()
                 if line.startswith("batchcalls_cluster_forwarded_total ")]
    assert forwarded == [f"batchcalls_cluster_forwarded_total {len(steps()) // 2}.0"]  # not its health checks
    journal = httpx.get(f"{b.base}/_mock/requests", params={"limit": 50}, headers=AUTH).text.lower()
    assert "authorization" in journal and "x-batchcalls" not in journal  # as the client sent them


def test_a_forwarded_request_is_trusted_only_with_the_instance_secret(
    two: tuple[Instance, Instance]
) -> None:
    a, _ = two
    path = f"{API}/batch-calls"
    authorised = packed({"headers": [(b"authorization", AUTH["Authorization"].encode())], "path": path})
    for secret in ("guess", ""):  # the packed request is authorised; without the secret it is ignored
        forged = httpx.get(f"{a.base}{path}", headers={"x-batchcalls-instance": secret,
                                                       "x-batchcalls-forwarded": authorised.decode()})
        assert forged.status_code == 401


def test_each_worker_advertises_a_loopback_port_of_its_own(database: str) -> None:
    process = launch("--store", database, *OWNED, "--workers", "2")
    instance = Instance(process, wait_until_up(process))
    try:
        until(lambda: len(live(database)) == 2, seconds=10)
        urls = set(live(database))
        assert instance.base not in urls and all(u.startswith("http://127.0.0.1:") for u in urls)
        with httpx.Client(timeout=10) as http:
            for _ in range(6):  # whichever worker the kernel picks, the owner answers
                created = http.post(f"{instance.base}{API}/batch-calls", json=CAMPAIGN, headers=AUTH)
                assert created.status_code == 201
            assert len(http.get(f"{instance.base}{API}/batch-calls", headers=AUTH).json()["data"]) == 6
        assert len({owner for _, owner, _ in workspace_leases(database)}) == 1
    finally:
        instance.stop()


def test_an_owner_that_drops_the_request_is_a_503_and_one_that_refuses_the_connection_is_served_here(
    database: str, serve: Callable[..., Instance]
) -> None:
    b = serve("--store", database, *OWNED)
    dropped, refused = (httpx.post(f"{b.base}/_mock/workspaces").json() for _ in range(2))
    with socket.create_server(("127.0.0.1", 0)) as dropping, socket.socket() as refusing:
        refusing.bind(("127.0.0.1", 0))  # bound, never listening: the connection is refused

        def drop() -> None:
            with contextlib.suppress(OSError):
                while True:
                    dropping.accept()[0].close()

        threading.Thread(target=drop, daemon=True).start()
        for workspace, name, listening in ((dropped, "dropper", dropping), (refused, "refuser", refusing)):
            lease_to(database, workspace["workspace_id"], name, f"http://127.0.0.1:{listening.getsockname()[1]}")
        lost = httpx.get(f"{b.base}{API}/batch-calls", headers=bearer(dropped["api_key"]))
        assert lost.status_code == 503 and "did not answer" in lost.json()["error"]["message"]
        here = httpx.get(f"{b.base}{API}/batch-calls", headers=bearer(refused["api_key"]))
        assert here.status_code == 200
    owners = {stream: owner for stream, owner, _ in workspace_leases(database)}
    assert (owners[dropped["workspace_id"]], owners[refused["workspace_id"]]) == ("dropper", "refuser")


def test_a_killed_owner_worker_s_workspace_answers_through_the_other_worker(database: str) -> None:
    process = launch("--store", database, *OWNED, "--workers", "2")
    instance = Instance(process, wait_until_up(process))
    try:
        until(lambda: len(live(database)) == 2, seconds=10)
        with httpx.Client(timeout=10) as http:
            created = http.post(f"{instance.base}{API}/batch-calls", json=CAMPAIGN, headers=AUTH)
            assert created.status_code == 201
            [(stream, owner, epoch)] = workspace_leases(database)
            url = {id_: url for url, id_ in live(database).items()}[owner]
            os.kill(listening_on(int(url.rsplit(":", 1)[1]), workers(process.pid)), signal.SIGKILL)
            reads = []

            def moved() -> bool:  # meanwhile every read (a new connection) is answered, whichever worker
                reads.append(httpx.get(f"{instance.base}{API}/batch-calls/{created.json()['data']['id']}",
                                       headers=AUTH))
                return workspace_leases(database)[0][1] != owner

            until(moved, seconds=4 * LEASE + 2)  # a lapsed lease, or a replacement worker's start
        assert {read.status_code for read in reads} == {200}
        assert all(read.json()["data"] == created.json()["data"] for read in reads)
        [(_, successor, again)] = workspace_leases(database)
        assert successor in live(database).values() and again == epoch + 1
    finally:
        instance.stop()


def test_the_heartbeat_is_renewed_again_after_a_database_restart(
    own_postgres: pg_cluster.Postgres, serve: Callable[..., Instance]
) -> None:
    database = own_postgres.new_database()
    a = serve("--store", database, *OWNED)
    own_postgres.restart()  # the registry's connection breaks with it
    with psycopg.connect(database, autocommit=True) as db:
        back = db.execute("SELECT clock_timestamp() + make_interval(secs => %s)", (LEASE,)).fetchone()

        def renewed() -> bool:  # a beat made after the restart (one of before expires earlier)
            found = db.execute("SELECT expires_at > %s FROM batchcalls_instance WHERE url = %s",
                               (back[0] if back else None, a.base)).fetchone()
            return bool(found and found[0])

        until(renewed)


def test_an_instance_without_ownership_where_owners_serve_exits_2_with_one_sentence(
    database: str, serve: Callable[..., Instance]
) -> None:
    """An owner serves its workspaces from memory: writes another instance appended without asking
    would go unseen by its reads. So an instance without --ownership does not start while one with
    it is alive, and starts once they have left."""
    owner = serve("--store", database, *OWNED)
    late = launch("--store", database, *FLAGS)
    out, err = late.communicate(timeout=30)
    assert late.returncode == 2, (out, err)
    assert out == "" and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "1 instance with --ownership serves" in lines[0], err
    owner.stop()  # SIGTERM: it leaves the registry
    plain = serve("--store", database, *FLAGS)
    assert httpx.get(f"{plain.base}{API}/batch-calls", headers=AUTH).status_code == 200


def refusing_the_instance_secret(database: str) -> None:
    """A store whose registry refuses the instance secret (a start that fails after the pool opened)."""
    with psycopg.connect(database, autocommit=True) as db:
        db.execute("CREATE TABLE batchcalls_meta (key text PRIMARY KEY, value text NOT NULL)")
        db.execute("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS"
                   " $$ BEGIN RAISE EXCEPTION 'no secret today'; END $$")
        db.execute("CREATE TRIGGER refuse BEFORE INSERT ON batchcalls_meta FOR EACH ROW"
                   " WHEN (NEW.key = 'instance_secret') EXECUTE FUNCTION refuse()")


def test_a_start_that_fails_after_the_pool_opened_closes_it(postgres: pg_cluster.Postgres) -> None:
    """psycopg_pool takes a connection attempt cancelled at the event loop's end for a failed one and
    schedules another: a pool left open by a failed start kept the process alive, never listening
    (a CI failure). So the node closes it."""
    database = postgres.new_database()
    refusing_the_instance_secret(database)
    node = create_app(Settings(store=database, ownership=True, lease_seconds=LEASE)).state.node
    node.registry.url = "http://127.0.0.1:1"  # what `serve` advertises once it has a socket

    async def start() -> None:
        with pytest.raises(psycopg.errors.RaiseException, match="no secret today"):
            await node.open()
        assert node.pool is None

    asyncio.run(start())
    database = postgres.new_database()  # and `serve` exits, saying why
    refusing_the_instance_secret(database)
    process = launch("--store", database, *OWNED)
    try:
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()  # a start that hangs fails the test without outliving it
    assert process.returncode not in (0, None) and "no secret today" in err, (out, err)


def test_a_plain_instance_starts_once_a_killed_owners_row_has_expired(
    database: str, serve: Callable[..., Instance]
) -> None:
    """An owner killed with SIGKILL never leaves the registry; once its heartbeat is older than a
    lease it is dead, and an instance without --ownership starts (from an adversarial pass)."""
    owner = serve("--store", database, *OWNED)
    owner.kill()
    until(lambda: not live(database), seconds=10)
    plain = serve("--store", database, *FLAGS)
    assert httpx.get(f"{plain.base}{API}/batch-calls", headers=AUTH).status_code == 200
