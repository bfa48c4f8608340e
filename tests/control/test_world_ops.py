"""The control API under /_mock."""

from __future__ import annotations

from support import API, AUTH, CheckedClient, make_client, new_batch


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
    assert client.post("/_mock/clock/advance", content=b"{").status_code == 400


def test_admin_token_protects_the_control_api() -> None:
    with make_client(admin_token="s3cret") as guarded:
        assert guarded.get("/_mock/health").status_code == 401
        ok = guarded.get("/_mock/health", headers={"X-Mock-Admin-Token": "s3cret"})
        assert ok.status_code == 200
