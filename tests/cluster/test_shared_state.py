"""Two `serve --store` instances on one database are one sandbox: what is written on A is there on B at
once (workspaces, clock, reset, fault rules, the journal), and idempotency keys and the rate limit
hold for both together.

One pair serves the module (starting two instances costs seconds); each test works in a workspace
of its own, created on one instance and used on the other.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pg_cluster
import pytest
from instances import Pair, pair_on
from support import API, AUTH

MANUAL = ("--clock", "manual", "--seed", "7", "--start-at", "2026-03-02T08:00:00Z")
CREATE = {"name": "Shared", "agent_id": "agt_sandbox_ready", "contacts": [{"phone_number": "+14155550101"}]}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def shared(postgres: pg_cluster.Postgres) -> Iterator[Pair]:
    with pair_on(postgres.new_database(), *MANUAL) as p:
        yield p


def workspace(base: str) -> dict[str, str]:
    """A new workspace created on the instance at `base`; answers its credentials."""
    created = httpx.post(f"{base}/_mock/workspaces")
    assert created.status_code == 201, created.text
    return bearer(created.json()["api_key"])


def test_a_workspace_created_on_a_is_usable_on_b_at_once(shared: Pair) -> None:
    p = shared
    key = workspace(p.a.base)
    batch = httpx.post(f"{p.b.base}{API}/batch-calls", json=CREATE, headers=key)
    assert batch.status_code == 201, batch.text
    again = httpx.get(f"{p.a.base}{API}/batch-calls/{batch.json()['data']['id']}", headers=key)
    assert again.status_code == 200 and again.json()["data"]["name"] == "Shared"
    # and it is that workspace's, not another one's
    assert httpx.get(f"{p.a.base}{API}/batch-calls", headers=workspace(p.b.base)).json()["data"] == []


def test_the_clock_advanced_on_a_is_read_on_b(shared: Pair) -> None:
    p, key = shared, workspace(shared.b.base)
    moved = httpx.post(f"{p.a.base}/_mock/clock/advance", json={"seconds": 3600}, headers=key)
    assert moved.status_code == 200 and moved.json()["now"] == "2026-03-02T09:00:00.000000Z"
    assert httpx.get(f"{p.b.base}/_mock/clock", headers=key).json()["now"] == "2026-03-02T09:00:00.000000Z"
    created = httpx.post(f"{p.b.base}{API}/batch-calls", json=CREATE, headers=key).json()["data"]
    assert created["created_at"] == "2026-03-02T09:00:00.000000Z"


@pytest.mark.real_clock
def test_a_real_clock_reads_the_same_time_on_an_instance_that_applies_its_creation_later(
    shared: Pair,
) -> None:
    """A real clock (ten hours a second) created through a, first served by b half a second later:
    b applies the creation then, and its clock runs from the creation's instant, not from when b
    built it (which read the start instant, half a simulated day behind a)."""
    p = shared
    created = httpx.post(f"{p.a.base}/_mock/workspaces", json={"clock": "real", "speed": 36000})
    assert created.status_code == 201, created.text
    key = bearer(created.json()["api_key"])
    time.sleep(0.5)

    def now(base: str) -> str:
        return str(httpx.get(f"{base}/_mock/clock", headers=key).json()["now"])

    before, on_b, after = now(p.a.base), now(p.b.base), now(p.a.base)
    assert before <= on_b <= after, (before, on_b, after)


def test_a_reset_on_a_is_seen_on_b(shared: Pair) -> None:
    p, key = shared, workspace(shared.a.base)
    assert httpx.post(f"{p.a.base}{API}/batch-calls", json=CREATE, headers=key).status_code == 201
    assert httpx.get(f"{p.b.base}{API}/batch-calls", headers=key).json()["pagination"]["total"] == 1
    assert httpx.post(f"{p.a.base}/_mock/reset", headers=key).status_code == 200  # this world
    assert httpx.get(f"{p.b.base}{API}/batch-calls", headers=key).json()["pagination"]["total"] == 0
    # everything: the default world emptied, every other workspace gone, on both
    assert httpx.post(f"{p.b.base}{API}/batch-calls", json=CREATE, headers=AUTH).status_code == 201
    assert httpx.post(f"{p.a.base}/_mock/reset", params={"scope": "all"}).status_code == 200
    assert httpx.get(f"{p.b.base}{API}/batch-calls", headers=AUTH).json()["pagination"]["total"] == 0
    assert httpx.get(f"{p.b.base}{API}/batch-calls", headers=key).status_code == 401


def test_a_fault_rule_added_on_a_fires_on_b(shared: Pair) -> None:
    p, key = shared, workspace(shared.b.base)
    rule = {"method": "POST", "path": f"{API}/batch-calls", "status": 503, "count": 1}
    added = httpx.post(f"{p.a.base}/_mock/faults", json=rule, headers=key)
    assert added.status_code == 201, added.text
    assert httpx.get(f"{p.b.base}/_mock/faults", headers=key).json()["total"] == 1
    fired = httpx.post(f"{p.b.base}{API}/batch-calls", json=CREATE, headers=key)
    assert fired.status_code == 503, fired.text
    # count 1: used up on B, so A does not fire it again
    assert httpx.post(f"{p.a.base}{API}/batch-calls", json=CREATE, headers=key).status_code == 201
    assert httpx.get(f"{p.a.base}/_mock/faults", headers=key).json()["total"] == 0


def test_the_journal_on_b_lists_requests_sent_to_a(shared: Pair) -> None:
    p, key = shared, workspace(shared.b.base)
    sent = httpx.post(f"{p.a.base}{API}/batch-calls", json=CREATE, headers=key)
    ids = [e["request_id"] for e in httpx.get(f"{p.b.base}/_mock/requests", headers=key).json()["data"]]
    assert sent.headers["x-request-id"] in ids
    created = {"operation_id": "create_batch_call"}
    [entry] = httpx.get(f"{p.b.base}/_mock/requests", params=created, headers=key).json()["data"]
    assert entry["status"] == 201 and entry["request_body"] == CREATE


def test_a_workspace_journal_written_on_a_is_read_on_b_as_har(shared: Pair) -> None:
    """`GET /_mock/workspaces/{id}/requests` (the admin's read, `x-workspace`) is served on that
    workspace's stream: B reads what A journaled, even for a workspace B has not served yet."""
    p = shared
    made = httpx.post(f"{p.a.base}/_mock/workspaces").json()
    sent = httpx.post(f"{p.a.base}{API}/batch-calls", json=CREATE, headers=bearer(made["api_key"]))
    har = httpx.get(f"{p.b.base}/_mock/workspaces/{made['workspace_id']}/requests", params={"format": "har"})
    assert har.status_code == 200, har.text
    assert [e["_request_id"] for e in har.json()["log"]["entries"]] == [sent.headers["x-request-id"]]


def test_the_journal_on_b_lists_a_request_acknowledged_by_a_at_once(shared: Pair) -> None:
    p, key = shared, workspace(shared.a.base)
    with httpx.Client() as http:
        for _ in range(5):
            sent = http.post(f"{p.a.base}{API}/batch-calls", json=CREATE, headers=key)
            top = http.get(f"{p.b.base}/_mock/requests", params={"limit": 1}, headers=key).json()["data"]
            assert [e["request_id"] for e in top] == [sent.headers["x-request-id"]]


def test_200_concurrent_same_key_creates_over_both_instances_make_one_batch(shared: Pair) -> None:
    p, key = shared, workspace(shared.a.base)
    headers = {**key, "X-Idempotency-Key": "one-campaign"}
    limits = httpx.Limits(max_connections=16)
    clients = [httpx.Client(base_url=base, limits=limits) for base in (p.a.base, p.b.base)]

    def create(i: int) -> httpx.Response:
        return clients[i % 2].post(f"{API}/batch-calls", json=CREATE, headers=headers, timeout=60)

    try:
        with ThreadPoolExecutor(32) as threads:
            answers = list(threads.map(create, range(200)))
    finally:
        for client in clients:
            client.close()
    statuses = {a.status_code for a in answers}
    assert statuses <= {201, 409}, statuses  # 409: a replay while the first is in flight (one process)
    created = [a for a in answers if a.status_code == 201]
    assert len({a.json()["data"]["id"] for a in created}) == 1
    assert sum(a.headers.get("idempotent-replayed") != "true" for a in created) == 1
    listed = httpx.get(f"{p.b.base}{API}/batch-calls", headers=key).json()
    assert listed["pagination"]["total"] == 1


def test_the_rate_limit_counts_requests_to_both_instances_together(pair: Callable[..., Pair]) -> None:
    p = pair(*MANUAL, "--rate-limit", "6/min")
    bases = [p.a.base, p.b.base] * 4
    statuses = [httpx.get(f"{base}{API}/agents", headers=AUTH).status_code for base in bases]
    assert statuses == [200] * 6 + [429] * 2
    refused = httpx.get(f"{p.a.base}{API}/agents", headers=AUTH)
    assert refused.status_code == 429 and refused.json()["error"]["details"]["limit"] == 6
    # per workspace, on both
    other = bearer(httpx.post(f"{p.b.base}/_mock/workspaces").json()["api_key"])
    assert httpx.get(f"{p.a.base}{API}/agents", headers=other).status_code == 200


def test_the_rate_limit_still_counts_both_instances_after_a_full_reset(pair: Callable[..., Pair]) -> None:
    p = pair(*MANUAL, "--rate-limit", "3/min")
    assert httpx.post(f"{p.a.base}/_mock/reset", params={"scope": "all"}).status_code == 200
    bases = [p.a.base, p.b.base] * 3
    statuses = [httpx.get(f"{base}{API}/agents", headers=AUTH).status_code for base in bases]
    assert statuses == [200] * 3 + [429] * 3
