"""What the byte quota counts for a batch call is at least what the sandbox holds for it at its
costliest: the largest settings each API takes, its calls in flight, its run (calendar, random
streams, the dispatcher's entries). Measured through HTTP with tracemalloc against `held`; the
request journal and the event log, bounded on their own, are off."""

from __future__ import annotations

import gc
import random
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient
from support import API, AUTH, START, ZUDU_AUTH

from mock_server.app import create_app
from mock_server.core import footprint
from mock_server.services.quota import held
from mock_server.settings import Settings

NAME = "é" * 254 + "𝔸"  # 255 characters, each kept in 4 bytes
ZONE = "America/Argentina/ComodRivadavia"  # the longest zone name there is
BATCHES = 10


def number(batch: int, row: int) -> str:
    return f"+1{2_000_000_000 + batch * 1_000 + row}"


def truedy(client: TestClient, i: int, rows: int) -> None:
    body = {"name": NAME, "agent_id": "agt_sandbox_ready", "timezone": ZONE,
            "phone_number_ids": ["num_sandbox_1", "num_sandbox_2"] * 10, "max_concurrent_calls": 100,
            "retry_failed": True, "max_retry_attempts": 3, "working_days": [1, 2, 3, 4, 5, 6, 7],
            "contacts": [{"phone_number": number(i, j)} for j in range(rows)]}
    created = client.post(f"{API}/batch-calls", json=body, headers=AUTH)
    assert created.status_code == 201, created.text
    started = client.post(f"{API}/batch-calls/{created.json()['data']['id']}/schedule", headers=AUTH)
    assert started.status_code == 200, started.text


def zudu(client: TestClient, i: int, rows: int) -> None:
    body = {"name": NAME, "organization_id": NAME, "timezone": ZONE, "from_number": "+14155550000",
            "send_now": True, "tasks": [{"to_number": number(i, j), "max_retries": 3} for j in range(rows)]}
    created = client.post("/batch-call", json=body, headers=ZUDU_AUTH)
    assert created.status_code == 201, created.text


@pytest.mark.parametrize("rows", [1, 100])
@pytest.mark.parametrize("send", [truedy, zudu], ids=["truedy", "zudu"])
def test_a_running_batch_call_is_counted_for_at_least_what_it_holds(
    send: Callable[[TestClient, int, int], None], rows: int
) -> None:
    app = create_app(Settings(clock="manual", start_at=START, seed=7, journal_size=0, max_events=1))
    world: Any = app.state.sandbox.default_world
    with TestClient(app) as client:
        send(client, BATCHES, rows)  # warm: zone data, lazy imports and caches are built once for all
        gc.collect()
        tracemalloc.start()
        try:
            before, counted_before = tracemalloc.get_traced_memory()[0], held(world.store, world.workspace.id)
            for i in range(BATCHES):
                send(client, i, rows)
            moved = client.post("/_mock/clock/advance", json={"seconds": 0.001}, headers=AUTH)
            assert moved.status_code == 200, moved.text  # what is due has run: the last one dials too
            gc.collect()
            used = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        counted = held(world.store, world.workspace.id).stored_bytes - counted_before.stored_bytes
        batches = world.store.batches(world.workspace.id).values()
        in_flight = sum(c.call_status == "in_progress" for b in batches for c in b.contacts)
        assert in_flight >= BATCHES + 1  # the costliest state: every batch call has calls in flight
        per_batch = f"{used / BATCHES:.0f} bytes held per batch call, {counted / BATCHES:.0f} counted"
        assert used <= counted, per_batch


def counted_by_walking(world: Any) -> tuple[int, int, int]:
    """What the quota held before it kept running sums: every batch walked."""
    batches = list(world.store.batches(world.workspace.id).values())
    rows, weight = sum(len(b.contacts) for b in batches), sum(footprint.batch_bytes(b) for b in batches)
    return len(batches), rows, weight


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_running_sums_equal_a_walk_of_every_batch_after_each_step(seed: int) -> None:
    """Batches grow in place (uploads, days of calls opened as the clock moves), are cancelled and
    deleted, in both APIs: after every step the quota's sums are those of a walk of the store."""
    rng = random.Random(seed)
    app = create_app(Settings(clock="manual", start_at=START, seed=7))
    world: Any = app.state.sandbox.default_world
    ids: list[str] = []
    with TestClient(app) as client:
        for step in range(80):
            action = rng.choice(["create", "zudu", "upload", "schedule", "advance", "delete"])
            target = rng.choice(ids) if ids else None
            if action == "zudu":
                zudu(client, step, rng.randrange(1, 4))
            elif action == "create" or target is None:
                body = {"name": f"b{step}", "agent_id": "agt_sandbox_ready", "retry_failed": True,
                        "contacts": [{"phone_number": number(step, j)} for j in range(rng.randrange(1, 4))]}
                ids.append(client.post(f"{API}/batch-calls", json=body, headers=AUTH).json()["data"]["id"])
            elif action == "upload":
                rows = [{"phone_number": number(step, j)} for j in range(rng.randrange(1, 4))]
                client.post(f"{API}/batch-calls/{target}/contacts", json={"contacts": rows}, headers=AUTH)
            elif action == "schedule":
                client.post(f"{API}/batch-calls/{target}/schedule", headers=AUTH)
            elif action == "advance":
                client.post("/_mock/clock/advance", json={"seconds": rng.choice([60, 3600, 86_400])})
            elif client.delete(f"{API}/batch-calls/{target}", headers=AUTH).status_code == 204:
                ids.remove(target)
            usage = held(world.store, world.workspace.id)
            directory = world.store.contacts(world.workspace.id)
            folders = world.store.folders(world.workspace.id)
            in_batches = usage.stored_bytes - directory.held_bytes() - folders.held_bytes()
            summed = (usage.batch_calls, usage.contacts - len(directory), in_batches)
            assert summed == counted_by_walking(world)
        days = sum(len(b.by_day) for b in world.store.batches(world.workspace.id).values())
        assert days > 0  # the steps opened days of calls, which the sums followed
