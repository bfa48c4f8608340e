"""`DELETE /_mock/workspaces/{workspace_id}` on a shared sandbox: deleted through one instance, the
workspace's keys are 401 on every instance from the next request on, whether that instance served it
or not, and the database keeps nothing of it but the row that says it was deleted."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import psycopg
from instances import Instance, Pair
from support import API

MANUAL = ("--clock", "manual", "--seed", "7", "--start-at", "2026-03-02T08:00:00Z", "--snapshot-every", "3",
          "--admin-token", "t0ken")
ADMIN = {"X-Mock-Admin-Token": "t0ken"}
CREATE = {"name": "Doomed", "agent_id": "agt_sandbox_ready", "contacts": [{"phone_number": "+14155550101"}]}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_a_workspace_deleted_through_one_instance_is_gone_on_every_instance(
    pair: Callable[..., Pair], database: str, serve: Callable[..., Instance]
) -> None:
    p = pair(*MANUAL)
    doomed = httpx.post(f"{p.a.base}/_mock/workspaces", headers=ADMIN).json()
    kept = httpx.post(f"{p.b.base}/_mock/workspaces", headers=ADMIN).json()
    key = bearer(doomed["api_key"])
    pair_headers = {"X-API-KEY": doomed["zudu"]["api_key"], "X-API-SECRET": doomed["zudu"]["api_secret"]}
    # both instances hold its world, past a snapshot, and B is behind A when A deletes it
    for base in (p.a.base, p.b.base, p.a.base, p.b.base, p.a.base, p.a.base):
        assert httpx.post(f"{base}{API}/batch-calls", json=CREATE, headers=key).status_code == 201
    assert httpx.post(f"{p.b.base}/_mock/faults", json={"status": 503, "path": "/nowhere"},
                      headers=key).status_code == 201
    assert httpx.get(f"{p.b.base}/_mock/requests", headers=key).json()["total"] > 0
    assert httpx.post(f"{p.a.base}/_mock/clock/advance", json={"seconds": 60}, headers=key).status_code == 200
    neighbour = httpx.post(f"{p.b.base}{API}/batch-calls", json=CREATE, headers=bearer(kept["api_key"]))
    assert neighbour.status_code == 201

    path = f"/_mock/workspaces/{doomed['workspace_id']}"
    assert httpx.delete(f"{p.a.base}{path}", headers=ADMIN).status_code == 204

    # the instance that did not delete it: a read (no lock), a write, the Zudu pair, the control API
    assert httpx.get(f"{p.b.base}{API}/batch-calls", headers=key).status_code == 401
    assert httpx.post(f"{p.b.base}{API}/batch-calls", json=CREATE, headers=key).status_code == 401
    assert httpx.get(f"{p.b.base}/batch-call/list", headers=pair_headers).status_code == 401
    assert httpx.get(f"{p.b.base}/_mock/clock", headers=key).status_code == 401
    for base in (p.a.base, p.b.base):
        ids = [w["workspace_id"] for w in httpx.get(f"{base}/_mock/workspaces", headers=ADMIN).json()["data"]]
        assert doomed["workspace_id"] not in ids and kept["workspace_id"] in ids
        assert httpx.delete(f"{base}{path}", headers=ADMIN).status_code == 404
    theirs = httpx.get(f"{p.b.base}{API}/batch-calls", headers=bearer(kept["api_key"])).json()
    assert theirs["pagination"]["total"] == 1  # the neighbour keeps its own

    with psycopg.connect(database) as db:
        stream = (doomed["workspace_id"],)
        rows = db.execute("SELECT method, path FROM batchcalls_log WHERE stream = %s", stream).fetchall()
        assert [(m, bytes(path).decode()) for m, path in rows] == [
            ("DELETE", f"/_mock/workspaces/{doomed['workspace_id']}")]
        for table in ("batchcalls_snapshot", "batchcalls_journal", "batchcalls_hits"):
            count = db.execute(f"SELECT count(*) FROM {table} WHERE stream = %s", stream).fetchone()  # noqa: S608
            assert count == (0,), table

    # the default workspace's drawn keys (no well-known key under --admin-token) are the same everywhere
    defaults = [httpx.get(f"{base}/_mock/workspaces", headers=ADMIN).json()["data"][0]
                for base in (p.a.base, p.b.base)]
    assert defaults[0] == defaults[1] and defaults[0]["api_key"] != "sk_test_sandbox"
    assert httpx.get(f"{p.b.base}{API}/agents", headers=bearer(defaults[0]["api_key"])).status_code == 200
    late = serve("--store", database, *MANUAL)  # an instance that never knew it
    assert httpx.get(f"{late.base}{API}/batch-calls", headers=key).status_code == 401
    assert httpx.get(f"{late.base}{API}/batch-calls", headers=bearer(kept["api_key"])).status_code == 200
