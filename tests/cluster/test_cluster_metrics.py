"""`GET /_mock/metrics` on a shared sandbox (`--store`): each instance counts the requests it
answered (rows it replayed from the log are not requests), and the rows it caught up with and how
late."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from instances import Pair
from scraped import Samples, parsed, requests, value
from support import API

MANUAL = ("--clock", "manual", "--seed", "7", "--start-at", "2026-03-02T08:00:00Z", "--admin-token", "t0ken")
ADMIN = {"X-Mock-Admin-Token": "t0ken"}
CREATE = {"name": "Counted", "agent_id": "agt_sandbox_ready", "contacts": [{"phone_number": "+14155550101"}]}


def scrape(base: str) -> Samples:
    return parsed(httpx.get(f"{base}/_mock/metrics", headers=ADMIN))


def test_each_instance_counts_its_requests_and_the_rows_it_caught_up(pair: Callable[..., Pair]) -> None:
    p = pair(*MANUAL)
    created = httpx.post(f"{p.a.base}/_mock/workspaces", headers=ADMIN).json()
    key = {"Authorization": f"Bearer {created['api_key']}"}
    for _ in range(3):
        assert httpx.post(f"{p.a.base}{API}/batch-calls", json=CREATE, headers=key).status_code == 201
    before = scrape(p.b.base)
    listed = httpx.get(f"{p.b.base}{API}/batch-calls", headers=key)  # B applies A's rows first
    assert listed.json()["pagination"]["total"] == 3
    a, b = scrape(p.a.base), scrape(p.b.base)

    assert requests(a, "truedy", "create_batch_call", "201") == 3
    assert requests(a, "control", "create_workspace", "201") == 1
    assert requests(b, "truedy", "create_batch_call", "201") == 0  # replayed on B, answered by A
    assert requests(b, "truedy", "list_batch_calls", "200") == 1
    caught_up = value(b, "batchcalls_cluster_catchup_rows_total") - value(
        before, "batchcalls_cluster_catchup_rows_total")
    assert caught_up >= 3  # the three creates (and whatever else A appended to the stream)
    assert value(b, "batchcalls_cluster_catchup_lag_seconds_count") == value(
        b, "batchcalls_cluster_catchup_rows_total")
    assert value(b, "batchcalls_cluster_catchup_lag_seconds_sum") > 0
    assert value(a, "batchcalls_worlds") == value(b, "batchcalls_worlds") == 2
    assert httpx.get(f"{p.b.base}/_mock/metrics").status_code == 401  # the admin token's to read
