"""Each workspace is a world of its own: clock, reset, faults, webhooks, events, ids and outcomes.

Everything here goes through HTTP, with two or more workspaces of one sandbox.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx2 as httpx
import pytest
from support import API, AUTH, START, CheckedClient, make_client, new_batch

from mock_server.app import create_app
from mock_server.core import batch_run
from mock_server.settings import Settings

CAMPAIGN = {
    "name": "Partner campaign",
    "agent_id": "agt_sandbox_ready",
    "contact_source": "folder",
    "contact_folder_id": "folder_sandbox_demo",
    "max_concurrent_calls": 3,
    "retry_failed": True,
    "max_retry_attempts": 1,
}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def new_workspace(client: CheckedClient, **options: Any) -> dict[str, str]:
    created = client.post("/_mock/workspaces", json=options or None)
    assert created.status_code == 201, created.text
    return bearer(created.json()["api_key"])


def test_clocks_are_independent(client: CheckedClient) -> None:
    partner = new_workspace(client)
    moved = client.post("/_mock/clock/advance", json={"seconds": 3600}, headers=partner)
    assert moved.json()["now"] == "2026-03-02T09:00:00.000000Z"
    assert client.get("/_mock/clock").json()["now"] == "2026-03-02T08:00:00.000000Z"  # the default world
    assert client.get("/_mock/clock", headers=partner).json()["now"] == "2026-03-02T09:00:00.000000Z"


@pytest.mark.real_clock
def test_new_workspaces_take_their_own_clock_seed_and_receiver(client: CheckedClient) -> None:
    created = client.post(
        "/_mock/workspaces",
        json={"clock": "real", "speed": 60, "start_at": "2027-01-04T09:00:00Z", "seed": 42,
              "webhook_url": "http://127.0.0.1:9/hooks"},
    ).json()
    assert created["seed"] == 42 and created["webhook_url"] == "http://127.0.0.1:9/hooks"
    assert created["clock"]["mode"] == "real" and created["clock"]["speed"] == 60
    assert created["clock"]["now"].startswith("2027-01-04T09:0")
    key = bearer(created["api_key"])
    refused = client.post("/_mock/clock/advance", json={"seconds": 60}, headers=key)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "clock_not_manual"
    assert client.post("/_mock/clock/advance", json={"seconds": 60}).status_code == 200  # default: manual
    listed = client.get("/_mock/workspaces").json()
    assert [w["workspace_id"] for w in listed["data"]][1] == created["workspace_id"]


def test_faults_fire_in_their_world_only(client: CheckedClient) -> None:
    partner = new_workspace(client)
    rule = client.post("/_mock/faults", json={"status": 503, "path": "*"}, headers=partner).json()
    assert client.get(f"{API}/agents", headers=partner).status_code == 503
    assert client.get(f"{API}/agents", headers=AUTH).status_code == 200
    assert client.get("/_mock/faults").json()["total"] == 0
    assert client.get("/_mock/faults", headers=partner).json()["data"][0]["id"] == rule["id"]
    assert client.delete(f"/_mock/faults/{rule['id']}").status_code == 404  # not the default world's
    assert client.delete(f"/_mock/faults/{rule['id']}", headers=partner).status_code == 204


def test_reset_webhooks_and_events_stay_in_their_world(client: CheckedClient) -> None:
    partner = new_workspace(client)
    client.put("/_mock/webhooks", json={"url": "http://127.0.0.1:9/partner"}, headers=partner)
    assert client.get("/_mock/webhooks").json()["url"] is None
    batch = new_batch(client, headers=partner)
    client.post(f"{API}/batch-calls/{batch['id']}/schedule", headers=partner)
    partner_events = client.get("/_mock/events", headers=partner).json()
    assert partner_events["total"] >= 1
    assert client.get("/_mock/events").json()["total"] == 0
    assert client.get("/_mock/webhooks/deliveries", headers=partner).json()["total"] >= 1
    assert client.get("/_mock/webhooks/deliveries").json()["total"] == 0
    new_batch(client)
    client.post("/_mock/reset", headers=partner)
    assert client.get(f"{API}/batch-calls", headers=partner).json()["pagination"]["total"] == 0
    assert client.get(f"{API}/batch-calls", headers=AUTH).json()["pagination"]["total"] == 1
    assert client.get("/_mock/webhooks", headers=partner).json()["url"] is None  # back to its config


def test_a_key_never_reaches_another_world(client: CheckedClient) -> None:
    one, two = new_workspace(client), new_workspace(client)
    batch = new_batch(client, headers=one)
    assert client.get(f"{API}/batch-calls/{batch['id']}", headers=two).status_code == 404
    provider = client.post("/_mock/faults/provider-error", json={"batch_call_id": batch["id"]}, headers=two)
    assert provider.status_code == 404
    unknown = bearer("sk_test_nobody")
    for method, path in (("GET", "/_mock/clock"), ("GET", "/_mock/events"), ("POST", "/_mock/reset"),
                         ("GET", "/_mock/faults"), ("GET", "/_mock/webhooks")):
        answer = client.request(method, path, headers=unknown)
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthorized"
    zudu = client.post("/_mock/workspaces").json()["zudu"]
    pair = {"X-API-KEY": zudu["api_key"], "X-API-SECRET": zudu["api_secret"]}
    assert client.post("/_mock/clock/advance", json={"seconds": 60}, headers=pair).status_code == 200
    wrong = {"X-API-KEY": zudu["api_key"], "X-API-SECRET": "zs_test_wrong"}
    assert client.post("/_mock/clock/advance", json={"seconds": 60}, headers=wrong).status_code == 401
    assert client.get("/_mock/clock").json()["now"] == "2026-03-02T08:00:00.000000Z"


def test_admin_only_operations_need_the_token() -> None:
    admin = {"X-Mock-Admin-Token": "s3cret"}
    with make_client(admin_token="s3cret") as client:
        assert client.post("/_mock/workspaces").status_code == 401
        assert client.get("/_mock/workspaces").status_code == 401
        created = client.post("/_mock/workspaces", headers=admin)
        assert created.status_code == 201
        partner = bearer(created.json()["api_key"])
        assert client.get("/_mock/workspaces", headers=admin).json()["total"] == 2
        # a partner moves its own clock with its own key, no admin token needed
        assert client.post("/_mock/clock/advance", json={"seconds": 60}, headers=partner).status_code == 200
        # without credentials, the default world needs the admin token
        assert client.get("/_mock/clock").status_code == 401
        assert client.get("/_mock/clock", headers=admin).json()["now"] == "2026-03-02T08:00:00.000000Z"
        assert client.post("/_mock/reset?scope=all", headers=partner).status_code == 401
        non_ascii = {"X-Mock-Admin-Token": "s3crét".encode()}  # a wrong token, not a crash
        assert client.get("/_mock/workspaces", headers=non_ascii).status_code == 401  # type: ignore[dict-item]
        assert client.post("/_mock/reset?scope=all", headers=admin).status_code == 200
        assert client.get("/_mock/clock", headers=partner).status_code == 401  # that world is gone


def partner_story(client: CheckedClient, key: dict[str, str]) -> dict[str, Any]:
    """What one partner's test sees: ids, outcomes, timings and webhook bodies (request ids and
    wall-clock times aside)."""
    created = client.post(f"{API}/batch-calls", json=CAMPAIGN, headers=key).json()["data"]
    client.post(f"{API}/batch-calls/{created['id']}/schedule", headers=key)
    client.post("/_mock/clock/advance", json={"until": "2026-03-04T22:00:00Z"}, headers=key)
    contacts = client.get(f"{API}/batch-calls/{created['id']}/contacts", headers=key).json()["data"]
    final = client.get(f"{API}/batch-calls/{created['id']}", headers=key).json()["data"]
    return {"batch": final, "contacts": contacts, "events": client.get("/_mock/events", headers=key).json()}


def busy_neighbour(client: CheckedClient, key: dict[str, str], rounds: int) -> None:
    for n in range(rounds):
        batch = client.post(f"{API}/batch-calls", json={**CAMPAIGN, "name": f"noise {n}"}, headers=key)
        client.post(f"{API}/batch-calls/{batch.json()['data']['id']}/schedule", headers=key)
        client.post("/_mock/faults", json={"status": 500, "count": 1}, headers=key)
        client.get(f"{API}/agents", headers=key)
        client.post("/_mock/clock/advance", json={"seconds": 1800 * (n + 1)}, headers=key)


def test_a_busy_neighbour_changes_nothing_in_a_partners_world() -> None:
    with make_client() as quiet:
        partner, _ = new_workspace(quiet), new_workspace(quiet)
        alone = partner_story(quiet, partner)
    with make_client() as busy:
        partner, neighbour = new_workspace(busy), new_workspace(busy)
        busy_neighbour(busy, neighbour, 3)
        busy_neighbour(busy, AUTH, 2)  # and the default workspace
        crowded = partner_story(busy, partner)
        busy_neighbour(busy, neighbour, 1)
    assert crowded == alone
    assert alone["batch"]["status"] == "completed" and alone["events"]["total"] > 20


async def concurrent_story(seed_noise: bool) -> dict[str, Any]:
    """The partner's story with the neighbour's requests interleaved by simulated latency."""
    app = create_app(Settings(clock="manual", start_at=START, seed=7, latency_ms=2))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox") as http:
        partner = bearer((await http.post("/_mock/workspaces")).json()["api_key"])
        neighbour = bearer((await http.post("/_mock/workspaces")).json()["api_key"])

        async def noise() -> None:
            for n in range(8):
                body = {**CAMPAIGN, "name": f"n{n}"}
                made = await http.post(f"{API}/batch-calls", json=body, headers=neighbour)
                await http.post(f"{API}/batch-calls/{made.json()['data']['id']}/schedule", headers=neighbour)
                await http.post("/_mock/clock/advance", json={"seconds": 600}, headers=neighbour)

        async def story() -> dict[str, Any]:
            made = (await http.post(f"{API}/batch-calls", json=CAMPAIGN, headers=partner)).json()["data"]
            await http.post(f"{API}/batch-calls/{made['id']}/schedule", headers=partner)
            await http.post("/_mock/clock/advance", json={"until": "2026-03-04T22:00:00Z"}, headers=partner)
            final = (await http.get(f"{API}/batch-calls/{made['id']}", headers=partner)).json()["data"]
            events = (await http.get("/_mock/events", headers=partner)).json()
            return {"batch": final, "events": events}

        if not seed_noise:
            return await story()
        result, _ = await asyncio.gather(story(), noise())
        return result


def test_determinism_holds_with_a_neighbour_running_concurrently() -> None:
    assert asyncio.run(concurrent_story(True)) == asyncio.run(concurrent_story(False))


@pytest.fixture
def poisoned(monkeypatch: pytest.MonkeyPatch) -> None:
    """Calls of batches named 'poison' break the simulation when they end (a stand-in for a bug)."""
    end_call = batch_run.Run.end_call

    def broken(self: batch_run.Run, *args: Any, **kwargs: Any) -> Any:
        if self.batch.settings.name == "poison":
            raise RuntimeError("deliberate failure")
        return end_call(self, *args, **kwargs)

    monkeypatch.setattr(batch_run.Run, "end_call", broken)


@pytest.mark.in_process  # the poison is a monkeypatch of the app's simulator
@pytest.mark.usefixtures("poisoned")
def test_a_batch_whose_simulation_raises_fails_alone(client: CheckedClient) -> None:
    partner = new_workspace(client)
    bad = new_batch(client, name="poison")
    good = new_batch(client, name="fine")
    neighbour = new_batch(client, headers=partner, name="fine")
    for batch, key in ((bad, AUTH), (good, AUTH), (neighbour, partner)):
        assert client.post(f"{API}/batch-calls/{batch['id']}/schedule", headers=key).status_code == 200
    assert client.post("/_mock/clock/advance", json={"seconds": 7 * 86400}).status_code == 200
    client.post("/_mock/clock/advance", json={"seconds": 7 * 86400}, headers=partner)
    failed = client.get(f"{API}/batch-calls/{bad['id']}", headers=AUTH).json()["data"]
    assert failed["status"] == "failed" and failed["error_reason"] == "simulation_error: RuntimeError"
    assert failed["completed_contacts"] == failed["successful_contacts"] + failed["failed_contacts"]
    assert client.get(f"{API}/batch-calls/{good['id']}", headers=AUTH).json()["data"]["status"] == "completed"
    assert client.get(f"{API}/batch-calls/{neighbour['id']}", headers=partner).json()["data"]["status"] == (
        "completed"
    )
    changes = [e["data"] for e in client.get("/_mock/events").json()["data"]
               if e["event"] == "batch.status.changed" and e["data"]["batch_id"] == bad["id"]]
    assert changes[-1]["status"] == "failed" and changes[-1]["error_reason"].startswith("simulation_error")
    assert client.get("/_mock/health").status_code == 200


def test_workspace_keys_cannot_be_computed_from_the_seed() -> None:
    """Two sandboxes with the same seed give their first workspace the same id, not the same keys;
    after a full reset no key of before opens a workspace of after."""
    with make_client() as one, make_client() as two:
        first, second = one.post("/_mock/workspaces").json(), two.post("/_mock/workspaces").json()
        assert first["workspace_id"] == second["workspace_id"]
        assert first["api_key"] != second["api_key"] and first["zudu"] != second["zudu"]
        assert first["webhook_secret"] != second["webhook_secret"]
        assert one.post("/_mock/reset?scope=all").status_code == 200
        again = one.post("/_mock/workspaces").json()
        assert again["workspace_id"] == first["workspace_id"] and again["api_key"] != first["api_key"]
        assert one.get("/_mock/clock", headers=bearer(first["api_key"])).status_code == 401


def test_two_credentials_naming_two_workspaces_name_none(client: CheckedClient) -> None:
    one = client.post("/_mock/workspaces").json()
    two = client.post("/_mock/workspaces").json()
    mixed = {**bearer(one["api_key"]), "X-API-KEY": two["zudu"]["api_key"],
             "X-API-SECRET": two["zudu"]["api_secret"]}
    assert client.get("/_mock/clock", headers=mixed).status_code == 401
    same = {**bearer(one["api_key"]), "X-API-KEY": one["zudu"]["api_key"],
            "X-API-SECRET": one["zudu"]["api_secret"]}
    assert client.get("/_mock/clock", headers=same).status_code == 200


@pytest.mark.real_clock
def test_a_clock_stays_inside_the_calendar(client: CheckedClient) -> None:
    for start in ("0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z"):
        refused = client.post("/_mock/workspaces", json={"clock": "manual", "start_at": start})
        assert refused.status_code == 422, refused.text
    late = client.post("/_mock/workspaces", json={"clock": "real", "speed": 1_000_000,
                                                  "start_at": "9998-12-31T23:59:59Z"}).json()
    key = bearer(late["api_key"])
    batch = new_batch(client, headers=key)
    assert client.post(f"{API}/batch-calls/{batch['id']}/schedule", headers=key).status_code == 200
    import time

    time.sleep(0.2)  # a million times faster: the clock reaches the end of the calendar and stops there
    clock = client.get("/_mock/clock", headers=key).json()
    assert clock["now"] == "9998-12-31T23:59:59.000000Z"
    assert client.get(f"{API}/batch-calls/{batch['id']}", headers=key).status_code == 200
    assert client.get("/_mock/workspaces").status_code == 200


def test_a_webhook_receiver_may_not_be_a_link_local_address(client: CheckedClient) -> None:
    metadata = "http://169.254.169.254/latest"
    assert client.put("/_mock/webhooks", json={"url": metadata}).status_code == 422
    assert client.put("/_mock/webhooks", json={"url": "http://[::ffff:169.254.169.254]/"}).status_code == 422
    assert client.post("/_mock/workspaces", json={"webhook_url": metadata}).status_code == 422
    assert client.put("/_mock/webhooks", json={"url": "http://127.0.0.1:9/ok"}).status_code == 200
