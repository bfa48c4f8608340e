"""Batch calls read alone or listed reuse their JSON between changes of state: never stale.

After every step of a seeded random mix of writes (the API's and the control API's), clock moves
and reads, each batch in the list and each batch read by id must equal a fresh rendering of the
sandbox's state at that moment."""

from __future__ import annotations

import random
import time
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient
from support import API, AUTH, START, CheckedClient, new_batch

from mock_server.app import create_app
from mock_server.dialects.truedy import wire
from mock_server.settings import Settings

NUMBERS = ["num_sandbox_1", "num_sandbox_2"]


def fresh(client: CheckedClient, batch_id: str) -> Any:
    sandbox = client.app.state.sandbox  # type: ignore[attr-defined]
    world = sandbox.default_world
    batch = world.store.batches(world.id).get(batch_id)
    return orjson.loads(orjson.dumps(wire.batch(batch)))


def assert_reads_are_fresh(client: CheckedClient) -> None:
    whole = client.get(f"{API}/batch-calls", params={"limit": 100}, headers=AUTH).json()
    listed = whole["data"]
    assert whole["pagination"]["total"] == len(listed)
    for item in listed:
        alone = client.get(f"{API}/batch-calls/{item['id']}", headers=AUTH).json()["data"]
        assert item == alone == fresh(client, item["id"])
    # pages and filters (each page is kept whole while the state stays as it is): asked twice, each
    # is its part of the whole list, with its own pagination
    for params, expected in [
        ({"limit": 100}, listed),
        ({"limit": 2, "offset": 1}, listed[1:3]),
        ({"limit": 2, "offset": 0}, listed[:2]),
        ({"limit": 3, "offset": 0}, listed[:3]),
        *(({"status": status, "limit": 100}, [b for b in listed if b["status"] == status])
          for status in ("draft", "scheduled", "active", "paused", "completed", "failed", "cancelled")),
        ({"agent_id": "agt_sandbox_ready", "limit": 100},
         [b for b in listed if b["agent_id"] == "agt_sandbox_ready"]),
    ]:
        for _ in range(2):
            answered = client.get(f"{API}/batch-calls", params=params, headers=AUTH).json()
            assert answered["data"] == expected, params
            total = len(listed) if "status" not in params and "agent_id" not in params else len(expected)
            offset = int(params.get("offset", 0))
            assert answered["pagination"] == {
                "total": total, "limit": params["limit"], "offset": offset,
                "has_more": offset + len(expected) < total,
            }, params


def step(client: CheckedClient, rng: random.Random, ids: list[str]) -> None:
    target = rng.choice(ids) if ids else None
    action = rng.choice(["create", "rename", "schedule", "pause", "resume", "delete", "advance",
                         "upload", "provider_error", "list"])
    if action == "create" or target is None:
        ids.append(new_batch(client, phone_number_ids=NUMBERS, name=f"b{len(ids)}")["id"])
    elif action == "rename":
        name = f"renamed {rng.random():.6f}"
        client.patch(f"{API}/batch-calls/{target}", json={"name": name}, headers=AUTH)
    elif action == "schedule":
        client.post(f"{API}/batch-calls/{target}/schedule", json={}, headers=AUTH)
    elif action in ("pause", "resume"):
        client.post(f"{API}/batch-calls/{target}/{action}", headers=AUTH)
    elif action == "delete":
        if client.delete(f"{API}/batch-calls/{target}", headers=AUTH).status_code == 204:
            ids.remove(target)
    elif action == "advance":
        client.post("/_mock/clock/advance", json={"seconds": rng.choice([60, 600, 3600, 86400])})
    elif action == "upload":
        contacts = [{"phone_number": f"+1415555{rng.randrange(10_000):04d}"}]
        client.post(f"{API}/batch-calls/{target}/contacts", json={"contacts": contacts}, headers=AUTH)
    elif action == "provider_error":
        client.post("/_mock/faults/provider-error", json={"batch_call_id": target}, headers=AUTH)


@pytest.mark.in_process
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_reads_match_the_state_after_every_step(client: CheckedClient, seed: int) -> None:
    rng = random.Random(seed)
    ids: list[str] = []
    for _ in range(60):
        step(client, rng, ids)
        assert_reads_are_fresh(client)


def test_a_reset_empties_the_list(client: CheckedClient) -> None:
    new_batch(client)
    assert client.get(f"{API}/batch-calls", headers=AUTH).json()["data"]
    client.post("/_mock/reset")
    assert client.get(f"{API}/batch-calls", headers=AUTH).json()["data"] == []


@pytest.mark.real_clock
def test_the_list_follows_a_campaign_run_by_the_real_clock_alone() -> None:
    """The list is read before the batch starts; then the simulated calls run and end with no request
    at all (the background pump runs them), and the next list must show the batch completed.

    The start is two simulated hours away (2 s at x3600), so the first read sees it scheduled however
    slow the machine; the wait for completion watches the sandbox's state, not the API, bounded."""
    with TestClient(create_app(Settings(clock="real", speed=3600, start_at=START))) as client:
        body = {
            "name": "Real time",
            "agent_id": "agt_sandbox_ready",
            "working_days": [1, 2, 3, 4, 5, 6, 7],
            "contacts": [{"phone_number": "+15550100001"}, {"phone_number": "+15550100003"}],
        }
        batch_id = client.post(f"{API}/batch-calls", json=body, headers=AUTH).json()["data"]["id"]
        at = {"scheduled_at": "2026-03-02T10:00:00Z", "timezone": "UTC"}
        scheduled = client.post(f"{API}/batch-calls/{batch_id}/schedule", json=at, headers=AUTH)
        assert scheduled.status_code == 200
        assert client.get(f"{API}/batch-calls", headers=AUTH).json()["data"][0]["status"] == "scheduled"
        world = client.app.state.sandbox.default_world  # type: ignore[attr-defined]
        deadline = time.monotonic() + 30
        while world.store.batches(world.id).get(batch_id).status != "completed":
            assert time.monotonic() < deadline, "the pump did not complete the batch in 30 s"
            time.sleep(0.05)
        listed = client.get(f"{API}/batch-calls", headers=AUTH).json()["data"][0]
        assert listed["status"] == "completed" and listed["completed_contacts"] == 2
