"""What the tests of `--ownership` share: the flags of an owned pair (short leases: every wait is
bounded by a few of them) and what the database says of its instances and leases."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import psycopg
from support import API, CAMPAIGN

LEASE = 0.5
FLAGS = ("--clock", "manual", "--seed", "11", "--start-at", "2026-03-02T08:00:00Z")
OWNED = (*FLAGS, "--ownership", "--lease-seconds", str(LEASE))


def live(database: str) -> dict[str, str]:
    """The live instances' URLs and ids, as the database sees them."""
    with psycopg.connect(database, autocommit=True) as db:
        rows = db.execute("SELECT url, id FROM batchcalls_instance WHERE expires_at > clock_timestamp()")
        return {str(url): str(id_) for url, id_ in rows.fetchall()}


def workspace_leases(database: str) -> list[tuple[str, str, int]]:
    """(stream, owner, epoch) of every workspace's lease."""
    with psycopg.connect(database, autocommit=True) as db:
        rows = db.execute("SELECT stream, owner, epoch FROM batchcalls_stream"
                          " WHERE stream <> '' ORDER BY stream")
        return [(str(s), str(o), int(e)) for s, o, e in rows.fetchall()]


def until(condition: Callable[[], bool], seconds: float = 4 * LEASE) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def lease_to(database: str, workspace: str, instance: str, url: str) -> None:
    """`workspace`'s lease held by a live `instance` at `url` (one that is not a sandbox)."""
    with psycopg.connect(database, autocommit=True) as db:
        db.execute("INSERT INTO batchcalls_instance VALUES (%s, %s, clock_timestamp() + interval '1 minute')",
                   (instance, url))
        db.execute("INSERT INTO batchcalls_stream (stream, generation, owner, epoch) VALUES (%s, 1, %s, 1)",
                   (workspace, instance))


def owned_workspace(base: str) -> tuple[str, dict[str, str]]:
    """A new workspace, owned by the instance at `base` (its first request, a create, served there):
    its id and its credentials."""
    workspace = httpx.post(f"{base}/_mock/workspaces").json()
    key = bearer(workspace["api_key"])
    assert httpx.post(f"{base}{API}/batch-calls", json=CAMPAIGN, headers=key).status_code == 201
    return str(workspace["workspace_id"]), key


def metric(base: str, name: str) -> float:
    """One sample of the instance's `GET /_mock/metrics` (a metric without labels)."""
    answer = httpx.get(f"{base}/_mock/metrics")
    assert answer.status_code == 200, answer.text
    lines = answer.text.splitlines()
    [value] = [float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith(f"{name} ")]
    return value
