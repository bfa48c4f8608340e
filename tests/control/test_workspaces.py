"""Workspaces as a host manages them: at most `--max-workspaces` at a time, and
`DELETE /_mock/workspaces/{workspace_id}` removes one with everything it holds."""

from __future__ import annotations

import asyncio
import gc
import weakref
from typing import Any

import orjson
import pytest
from support import API, AUTH, CAMPAIGN, START, CheckedClient, asgi, make_client

from mock_server.app import create_app
from mock_server.settings import Settings

ADMIN = {"X-Mock-Admin-Token": "t0ken"}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_workspaces_past_the_cap_are_a_409_until_one_is_deleted() -> None:
    with make_client(max_workspaces=2) as client:
        first = client.post("/_mock/workspaces")
        assert first.status_code == 201
        assert client.post("/_mock/workspaces").status_code == 201  # the cap: the default one not counted
        refused = client.post("/_mock/workspaces", json={"seed": 1})
        assert refused.status_code == 409, refused.text
        error = refused.json()["error"]
        assert error["code"] == "workspace_limit_reached" and error["details"] == {"limit": 2}
        assert client.get("/_mock/workspaces").json()["total"] == 3
        gone = client.delete(f"/_mock/workspaces/{first.json()['workspace_id']}")
        assert gone.status_code == 204
        assert client.post("/_mock/workspaces").status_code == 201


def test_a_deleted_workspace_keys_stop_working_at_once_and_its_data_is_gone(client: CheckedClient) -> None:
    created = client.post("/_mock/workspaces", json={"webhook_url": "http://127.0.0.1:9/hooks"}).json()
    key = bearer(created["api_key"])
    pair = {"X-API-KEY": created["zudu"]["api_key"], "X-API-SECRET": created["zudu"]["api_secret"]}
    batch = client.post(f"{API}/batch-calls", json=CAMPAIGN, headers={**key, "X-Idempotency-Key": "k1"})
    assert batch.status_code == 201
    client.post(f"{API}/batch-calls/{batch.json()['data']['id']}/schedule", headers=key)
    fault = client.post("/_mock/faults", json={"status": 503, "path": "/nowhere"}, headers=key)
    assert fault.status_code == 201
    assert client.post("/_mock/readiness/start", headers=key).status_code == 201
    client.post("/_mock/clock/advance", json={"seconds": 3600 * 8}, headers=key)
    assert client.get("/_mock/events", headers=key).json()["total"] > 0
    other = client.post("/_mock/workspaces").json()
    new_batch = client.post(f"{API}/batch-calls", json=CAMPAIGN, headers=bearer(other["api_key"]))
    assert new_batch.status_code == 201

    assert client.delete(f"/_mock/workspaces/{created['workspace_id']}").status_code == 204

    for method, path, headers in (("GET", f"{API}/batch-calls", key), ("GET", "/batch-call/list", pair),
                                  ("GET", "/_mock/events", key), ("GET", "/_mock/requests", key),
                                  ("POST", "/_mock/reset", key), ("GET", "/_mock/faults", pair)):
        answer = client.request(method, path, headers=headers)
        assert answer.status_code == 401, (method, path, answer.text)
    listed = [w["workspace_id"] for w in client.get("/_mock/workspaces").json()["data"]]
    assert created["workspace_id"] not in listed and other["workspace_id"] in listed
    # the neighbour and the default workspace are untouched
    theirs = client.get(f"{API}/batch-calls", headers=bearer(other["api_key"])).json()
    assert theirs["pagination"]["total"] == 1
    assert client.get(f"{API}/agents", headers=AUTH).status_code == 200
    again = client.delete(f"/_mock/workspaces/{created['workspace_id']}")
    assert again.status_code == 404
    assert again.json()["error"]["details"] == {"resource": "workspace", "id": created["workspace_id"]}


def test_the_default_workspace_cannot_be_deleted(client: CheckedClient) -> None:
    default = client.get("/_mock/health").json()["workspace_id"]
    refused = client.delete(f"/_mock/workspaces/{default}")
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "default_workspace"
    assert client.get(f"{API}/agents", headers=AUTH).status_code == 200


def test_deleting_a_workspace_is_the_admins_alone() -> None:
    with make_client(admin_token="t0ken") as client:
        created = client.post("/_mock/workspaces", headers=ADMIN).json()
        path = f"/_mock/workspaces/{created['workspace_id']}"
        assert client.delete(path).status_code == 401
        own_key = bearer(created["api_key"])
        assert client.delete(path, headers=own_key).status_code == 401  # not with its own key either
        assert client.delete(path, headers=ADMIN).status_code == 204
        assert client.get("/_mock/clock", headers=bearer(created["api_key"])).status_code == 401


@pytest.mark.in_process
def test_nothing_of_a_deleted_workspace_stays_in_memory() -> None:
    with make_client() as client:
        sandbox = client.app.state.sandbox  # type: ignore[attr-defined]
        created = client.post("/_mock/workspaces", json={
            "clock": "real", "speed": 60, "webhook_url": "http://127.0.0.1:9/hooks"}).json()
        key = bearer(created["api_key"])
        batch = client.post(f"{API}/batch-calls", json=CAMPAIGN, headers=key).json()["data"]
        client.post(f"{API}/batch-calls/{batch['id']}/schedule", headers=key)  # due events: a wake-up
        client.get(f"{API}/batch-calls/{batch['id']}", headers=key)  # the encoded cache holds it
        client.post("/_mock/readiness/start", headers=key)
        world = weakref.ref(sandbox.worlds[created["workspace_id"]])
        assert created["workspace_id"] in [w.id for w in sandbox.wakeups.pop_due(float("inf"))]
        sandbox.wakeups.note(world())

        assert client.delete(f"/_mock/workspaces/{created['workspace_id']}").status_code == 204
        gc.collect()
        assert world() is None  # no registry, wake-up, delivery, cache or session holds it
        assert sandbox.outbox.deliveries(created["workspace_id"]) == []
        assert len(sandbox.wakeups) == 0


def request(app: Any, method: str, path: str, body: bytes = b"", key: str | None = None) -> tuple[int, Any]:
    return asyncio.run(asgi(app, method, path, body, key))


@pytest.mark.in_process
def test_a_deleted_workspace_is_freed_without_a_garbage_collection() -> None:
    """`serve` freezes what survives young collections and collects the frozen heap only once it grew
    16-fold (mock_server/heap.py): a world held in a reference cycle (its dispatcher held its
    `_record`) stayed in memory, with its batches and contacts, long after its workspace was
    deleted (95 → 459 MB over 18,000 workspaces created, used and deleted). Reference counts
    alone free it now."""
    app = create_app(Settings(clock="manual", start_at=START, allow_private_webhooks=True))
    status, created = request(app, "POST", "/_mock/workspaces", orjson.dumps({
        "clock": "real", "speed": 60, "webhook_url": "http://127.0.0.1:9/hooks"}))
    assert status == 201
    key = created["api_key"]
    status, batch = request(app, "POST", f"{API}/batch-calls", orjson.dumps(CAMPAIGN), key)
    assert status == 201
    assert request(app, "POST", f"{API}/batch-calls/{batch['data']['id']}/schedule", b"{}", key)[0] == 200
    assert request(app, "GET", f"{API}/batch-calls/{batch['data']['id']}", key=key)[0] == 200
    assert request(app, "POST", f"{API}/batch-calls", b'{"name": 5}', key)[0] == 422
    assert request(app, "POST", "/_mock/readiness/start", key=key)[0] == 201
    world = weakref.ref(app.state.sandbox.worlds[created["workspace_id"]])
    enabled = gc.isenabled()
    gc.disable()
    try:
        assert request(app, "DELETE", f"/_mock/workspaces/{created['workspace_id']}")[0] == 204
        assert world() is None
    finally:
        if enabled:
            gc.enable()
