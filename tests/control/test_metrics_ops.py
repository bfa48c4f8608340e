"""`GET /_mock/metrics` through HTTP: parsed with prometheus-client's own parser, its values checked
after real requests (a create, a 422, an unknown path, a fault fired, webhook attempts, workspaces
created and deleted). The counts are per instance: these tests need an app of their own."""

from __future__ import annotations

from typing import Any

import pytest
from receiver import receiving, wait_until
from scraped import Samples, parsed, requests, value
from support import API, AUTH, CheckedClient, make_client, new_batch

pytestmark = pytest.mark.in_process

ADMIN = {"X-Mock-Admin-Token": "t0ken"}
BAD_CREATE = {"name": "No agent", "contacts": [{"phone_number": "+14155550101"}]}


def scrape(client: CheckedClient, headers: dict[str, str] | None = None) -> Samples:
    return parsed(client.get("/_mock/metrics", headers=headers or {}))


def test_requests_are_counted_by_dialect_operation_and_status_with_their_latency() -> None:
    with make_client() as c:
        before = scrape(c)
        assert requests(before, "truedy", "create_batch_call", "201") == 0
        new_batch(c)
        new_batch(c)
        assert c.post(f"{API}/batch-calls", json=BAD_CREATE, headers=AUTH).status_code == 422
        assert c.get(f"{API}/no/such/path", headers=AUTH).status_code == 404
        nobody = {"X-API-KEY": "nobody", "X-API-SECRET": "x"}
        assert c.get("/batch-call/list", headers=nobody).status_code == 401
        after = scrape(c)
    assert requests(after, "truedy", "create_batch_call", "201") == 2
    assert requests(after, "truedy", "create_batch_call", "422") == 1
    assert requests(after, "truedy", "unmatched", "404") == 1
    assert requests(after, "zudu", "list_batch_calls", "401") == 1
    # the first scrape itself, answered before the second one was read
    assert requests(after, "control", "get_metrics", "200") == 1
    timed = {"dialect": "truedy", "operation": "create_batch_call"}
    assert value(after, "batchcalls_request_duration_seconds_count", **timed) == 3
    assert value(after, "batchcalls_request_duration_seconds_bucket", le="+Inf", **timed) == 3
    assert value(after, "batchcalls_request_duration_seconds_sum", **timed) > 0
    buckets = sorted((float(dict(labels)["le"]), v) for (name, labels), v in after.items()
                     if name.endswith("_bucket") and dict(labels).items() >= timed.items())
    assert [v for _, v in buckets] == sorted(v for _, v in buckets)  # cumulative


def test_fault_rules_fired_are_counted_by_kind() -> None:
    with make_client() as c:
        assert c.post("/_mock/faults", json={"status": 503, "path": f"{API}/batch-calls", "method": "GET",
                                             "count": 1}).status_code == 201
        assert c.post("/_mock/faults", json={"latency_ms": 1, "path": f"{API}/agents*",
                                             "count": 2}).status_code == 201
        assert c.get(f"{API}/batch-calls", headers=AUTH).status_code == 503
        assert c.get(f"{API}/batch-calls", headers=AUTH).status_code == 200
        for _ in range(3):
            c.get(f"{API}/agents", headers=AUTH)
        samples = scrape(c)
    assert value(samples, "batchcalls_faults_fired_total", kind="status") == 1
    assert value(samples, "batchcalls_faults_fired_total", kind="latency") == 2
    assert value(samples, "batchcalls_faults_fired_total", kind="drop_connection") == 0
    assert requests(samples, "truedy", "list_batch_calls", "503") == 1
    assert requests(samples, "truedy", "list_batch_calls", "200") == 1


def test_webhook_attempts_are_counted_by_result() -> None:
    with receiving(statuses={"/refuses": 500}) as receiver, make_client(webhook_retry_base_seconds=60) as c:
        created = [c.post("/_mock/workspaces").json() for _ in range(3)]
        keys = [{"Authorization": f"Bearer {w['api_key']}"} for w in created]
        urls = [receiver.url("/takes"), receiver.url("/refuses"), "http://127.0.0.1:9/closed"]
        for key, url in zip(keys, urls, strict=True):
            assert c.put("/_mock/webhooks", json={"url": url}, headers=key).status_code == 200
            batch = new_batch(c, headers=key)
            assert c.post(f"{API}/batch-calls/{batch['id']}/schedule", headers=key).status_code == 200

        def deliveries() -> list[list[dict[str, Any]]]:
            return [c.get("/_mock/webhooks/deliveries", headers=key).json()["data"] for key in keys]

        # every delivery has had its first attempt (the next one is a minute away)
        wait_until(lambda: all(found and all(d["attempts"] for d in found) for found in deliveries()), 10,
                   "a first attempt of each delivery")
        made = [[a["status_code"] for d in found for a in d["attempts"]] for found in deliveries()]
        samples = scrape(c)
    assert made[0] and set(made[0]) == {204} and set(made[1]) == {500} and set(made[2]) == {None}
    assert value(samples, "batchcalls_webhook_attempts_total", result="delivered") == len(made[0])
    assert value(samples, "batchcalls_webhook_attempts_total", result="rejected") == len(made[1])
    assert value(samples, "batchcalls_webhook_attempts_total", result="failed") == len(made[2])


def test_worlds_live_and_evicted_and_what_their_journals_hold() -> None:
    with make_client() as c:
        workspaces = [c.post("/_mock/workspaces").json() for _ in range(3)]
        keys = [{"Authorization": f"Bearer {w['api_key']}"} for w in workspaces]
        new_batch(c, headers=keys[0])
        c.get(f"{API}/batch-calls", headers=keys[1])
        assert c.delete(f"/_mock/workspaces/{workspaces[2]['workspace_id']}").status_code == 204
        held = sum(c.get("/_mock/requests/count", headers=key).json()["count"] for key in [AUTH, *keys[:2]])
        samples = scrape(c)
        assert c.post("/_mock/reset?scope=all").status_code == 200
        reset = scrape(c)
    assert value(samples, "batchcalls_worlds") == 3  # the default workspace and two created
    assert value(samples, "batchcalls_worlds_evicted_total") == 1
    assert held >= 2 and value(samples, "batchcalls_journal_entries") == held
    assert value(samples, "batchcalls_journal_bytes") > 0
    # a reset of everything drops the three worlds (a fresh default one takes the first's place)
    assert value(reset, "batchcalls_worlds") == 1
    assert value(reset, "batchcalls_worlds_evicted_total") == 4
    assert value(reset, "batchcalls_journal_entries") == 0
    assert requests(reset, "control", "create_workspace", "201") == 3  # counts are not reset


def test_under_an_admin_token_only_the_admin_reads_the_metrics() -> None:
    with make_client(admin_token="t0ken") as c:
        workspace = c.post("/_mock/workspaces", headers=ADMIN).json()
        key = {"Authorization": f"Bearer {workspace['api_key']}"}
        for headers in ({}, key, {"X-Mock-Admin-Token": "wrong"}):
            refused = c.get("/_mock/metrics", headers=headers)
            assert refused.status_code == 401
            assert refused.json()["error"]["code"] == "unauthorized"
        samples = scrape(c, ADMIN)
    assert requests(samples, "control", "get_metrics", "401") == 3
    assert value(samples, "batchcalls_worlds") == 2


def test_each_app_counts_its_own_requests() -> None:
    """Several apps in one process (tests, the pytest fixture, the MCP command's sandbox) each keep
    their own registry: one's requests are not another's."""
    with make_client() as busy, make_client() as idle:
        new_batch(busy)
        assert requests(scrape(busy), "truedy", "create_batch_call", "201") == 1
        assert requests(scrape(idle), "truedy", "create_batch_call", "201") == 0
