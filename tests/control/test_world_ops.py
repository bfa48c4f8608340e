"""The control API under /_mock."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx
from support import API, AUTH, CheckedClient, live_server, make_client, new_batch

from mock_server import __version__


def test_health(client: CheckedClient) -> None:
    body = client.get("/_mock/health").json()
    assert body["status"] == "ok" and body["clock"]["mode"] == "manual"


def test_reset_forgets_one_world_and_a_full_reset_everything(client: CheckedClient) -> None:
    new_batch(client)
    key = client.post("/_mock/workspaces").json()["api_key"]
    other = {"Authorization": f"Bearer {key}"}
    new_batch(client, headers=other)
    assert client.post("/_mock/reset").status_code == 200  # no credentials: the default world
    assert client.get(f"{API}/batch-calls", headers=AUTH).json()["pagination"]["total"] == 0
    assert client.get(f"{API}/batch-calls", headers=other).json()["pagination"]["total"] == 1
    assert client.post("/_mock/reset", headers=other).json()["api_key"] == key  # keys survive
    assert client.get(f"{API}/batch-calls", headers=other).json()["pagination"]["total"] == 0
    new_batch(client)
    assert client.post("/_mock/reset?scope=all").status_code == 200
    assert client.get(f"{API}/batch-calls", headers=AUTH).json()["pagination"]["total"] == 0
    assert client.get(f"{API}/agents", headers=other).status_code == 401


def test_new_workspace_answers_key_and_fixtures(client: CheckedClient) -> None:
    body = client.post("/_mock/workspaces").json()
    assert body["api_key"].startswith("sk_test_") and body["api_key"] != "sk_test_sandbox"
    assert body["fixtures"]["agents"]["ready"] == "agt_sandbox_ready"


def test_clock_advance_by_seconds_and_until(client: CheckedClient) -> None:
    assert client.get("/_mock/clock").json()["now"] == "2026-03-02T08:00:00.000000Z"
    moved = client.post("/_mock/clock/advance", json={"seconds": 3600}).json()
    assert moved["now"] == "2026-03-02T09:00:00.000000Z"
    moved = client.post("/_mock/clock/advance", json={"until": "2026-03-03T00:00:00Z"}).json()
    assert moved["now"] == "2026-03-03T00:00:00.000000Z"
    assert client.post("/_mock/clock/advance", json={"until": "2020-01-01T00:00:00Z"}).status_code == 422
    assert client.post("/_mock/clock/advance", json={"seconds": -5}).status_code == 422
    broken = client.post("/_mock/clock/advance", content=b"{", headers={"Content-Type": "application/json"})
    assert broken.status_code == 400


def test_admin_token_protects_the_control_api() -> None:
    with make_client(admin_token="s3cret") as guarded:
        assert guarded.get("/_mock/clock").status_code == 401
        ok = guarded.get("/_mock/clock", headers={"X-Mock-Admin-Token": "s3cret"})
        assert ok.status_code == 200


def test_a_non_ascii_admin_token_is_the_json_401() -> None:
    with make_client(admin_token="s3cret") as guarded:
        for given in ("s3crét".encode(), b"\xff\xfe", "秘密".encode()):
            response = guarded.get("/_mock/health", headers={"X-Mock-Admin-Token": given})  # type: ignore[dict-item]
            assert response.status_code == 401, response.text
            assert response.json()["error"]["code"] == "unauthorized"


def test_health_without_credentials_is_a_liveness_answer_with_no_tenant_data() -> None:
    with live_server("--admin-token", "t0ken", "--quiet") as base:
        alive = httpx.get(f"{base}/_mock/health", timeout=5)
        assert alive.status_code == 200, alive.text
        assert alive.json() == {"status": "ok", "version": __version__}
        admin = {"X-Mock-Admin-Token": "t0ken"}
        detailed = httpx.get(f"{base}/_mock/health", headers=admin, timeout=5).json()
        assert detailed["workspace_id"] and detailed["clock"]["mode"] == "real"
        unknown = httpx.get(f"{base}/_mock/health", headers={"Authorization": "Bearer sk_nobody"}, timeout=5)
        assert unknown.status_code == 401
        wrong_token = httpx.get(f"{base}/_mock/health", headers={"X-Mock-Admin-Token": "nope"}, timeout=5)
        assert wrong_token.status_code == 401  # a token that is wrong is told so


def a_campaign_run(client: CheckedClient) -> dict[str, Any]:
    batch = new_batch(client)
    client.post(f"{API}/batch-calls/{batch['id']}/schedule", headers=AUTH)
    client.post("/_mock/clock/advance", json={"seconds": 7 * 86400})
    log: dict[str, Any] = client.get("/_mock/events").json()
    return log


def test_the_event_log_keeps_the_newest_events_and_counts_the_dropped() -> None:
    with make_client() as roomy:
        everything = a_campaign_run(roomy)
    assert everything["dropped"] == 0 and everything["total"] > 5
    with make_client(max_events=5) as client:
        log = a_campaign_run(client)
    assert log["total"] == 5 and log["dropped"] == everything["total"] - 5
    assert log["data"] == everything["data"][-5:]  # the newest, oldest first
    assert log["data"][-1]["event"] == "batch.completed"
