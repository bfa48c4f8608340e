"""Adversarial tests of dormant worlds and `--idle-evict`, written against ffb0ed3: each failed
there, and passes with its fix."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from instances import Instance, start_all
from owned import OWNED, bearer, metric, until
from support import API, AUTH, CAMPAIGN

DORMANT = "batchcalls_worlds_dormant"
EVICTED = "batchcalls_cluster_idle_evicted_total"


def started(database: str, *flags: str) -> list[Instance]:
    return start_all(("--store", database, *OWNED, *flags), ("--store", database, *OWNED, *flags))


@pytest.fixture
def owned_pair(database: str) -> Iterator[tuple[Instance, Instance]]:
    a, b = started(database)
    try:
        yield a, b
    finally:
        a.stop()
        b.stop()


@pytest.fixture
def idle_pair(database: str) -> Iterator[tuple[Instance, Instance]]:
    a, b = started(database, "--idle-evict", "0.2")
    try:
        yield a, b
    finally:
        a.stop()
        b.stop()


def test_the_default_workspace_cannot_be_deleted_where_a_reset_elsewhere_left_it_dormant(
    owned_pair: tuple[Instance, Instance]
) -> None:
    """A reset of everything made through a, applied by b, leaves b's default world dormant while
    `sandbox.default_world` still names the world it replaced: the identity check of
    `delete_workspace` no longer recognises the default workspace, and b deletes it (204, a row of
    the log that a then replays as a 409). One process answers 409 default_workspace."""
    a, b = owned_pair
    default = httpx.post(f"{a.base}/_mock/reset?scope=all").json()["workspace_id"]
    assert httpx.get(f"{b.base}/_mock/workspaces").json()["total"] == 1  # b applies the reset
    deleted = httpx.delete(f"{b.base}/_mock/workspaces/{default}")
    assert deleted.status_code == 409, deleted.text
    assert httpx.get(f"{b.base}{API}/batch-calls", headers=AUTH).status_code == 200
    assert metric(b.base, DORMANT) == 0  # the default world is never dormant


def test_a_real_clock_keeps_running_through_an_eviction_of_a_world_with_no_rows(
    idle_pair: tuple[Instance, Instance]
) -> None:
    """A real-clock workspace (an hour a second) that nothing wrote to: its creator drops it after
    `--idle-evict` (no snapshot: its stream has no row), and the next request wakes it from its
    creation (`ClusterSandbox.wake`), which builds a new RealClock whose wall origin is now: its
    simulated time starts again from its start. One process reads about an hour later."""
    a, _ = idle_pair
    workspace = httpx.post(f"{a.base}/_mock/workspaces", json={"clock": "real", "speed": 3600}).json()
    created = workspace["clock"]["now"]
    assert created.startswith("2026-03-02T08:00")
    until(lambda: metric(a.base, EVICTED) >= 1, seconds=5)
    until(lambda: metric(a.base, DORMANT) >= 1, seconds=5)
    time_passed = httpx.get(f"{a.base}/_mock/clock", headers=bearer(workspace["api_key"])).json()["now"]
    assert time_passed >= "2026-03-02T08:10", (created, time_passed)


def test_a_workspace_whose_webhooks_were_all_delivered_still_leaves_memory(
    idle_pair: tuple[Instance, Instance]
) -> None:
    """`idle._idle` keeps a world while `outbox.deliveries(world.id)` is not empty, and that list
    holds the finished deliveries too (kept for GET /_mock/webhooks/deliveries): a workspace that
    ever sent a webhook, all of them delivered long since, never leaves memory. The docstring says
    'no webhook delivery waiting'."""
    from receiver import Receiver

    a, _ = idle_pair
    receiver = Receiver()
    try:
        workspace = httpx.post(f"{a.base}/_mock/workspaces", json={"webhook_url": receiver.url("/h")}).json()
        key = bearer(workspace["api_key"])
        body = {**CAMPAIGN, "working_days": [1, 2, 3, 4, 5, 6, 7]}
        batch = httpx.post(f"{a.base}{API}/batch-calls", json=body, headers=key).json()["data"]["id"]
        assert httpx.post(f"{a.base}{API}/batch-calls/{batch}/schedule", headers=key).status_code == 200
        advanced = httpx.post(f"{a.base}/_mock/clock/advance", json={"seconds": 86400}, headers=key)
        assert advanced.status_code == 200
        until(lambda: bool(receiver.arrived), seconds=5)

        def all_delivered() -> bool:
            found = httpx.get(f"{a.base}/_mock/webhooks/deliveries", headers=key).json()["data"]
            return bool(found) and all(d["state"] != "pending" for d in found)

        until(all_delivered, seconds=5)
        until(lambda: metric(a.base, DORMANT) >= 1, seconds=3)  # unused for 15 times --idle-evict
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


def test_a_real_clock_workspace_that_was_read_still_leaves_memory(
    idle_pair: tuple[Instance, Instance]
) -> None:
    """A real-clock workspace with nothing due, read once: the read's `catch_up` sets
    `pending_catch_up` (even when no event ran), only a later journaled write or a pump row clears
    it, and `idle._idle` never evicts a world with one. A workspace a client polls, then leaves,
    stays in memory for ever."""
    a, _ = idle_pair
    workspace = httpx.post(f"{a.base}/_mock/workspaces", json={"clock": "real", "speed": 60}).json()
    key = bearer(workspace["api_key"])
    assert httpx.post(f"{a.base}{API}/batch-calls", json=CAMPAIGN, headers=key).status_code == 201  # a draft
    assert httpx.get(f"{a.base}/_mock/clock", headers=key).json()["next_event_at"] is None  # nothing due
    until(lambda: metric(a.base, DORMANT) >= 1, seconds=3)  # unused for 15 times --idle-evict


def test_a_dormant_world_does_not_break_the_foreign_ids_defect(database: str) -> None:
    """TEST-ONLY mode (`--defect foreign_ids_visible`): `DefectiveDialect` looks for an unknown
    batch id in every world of `sandbox.worlds` through `world.store`, which a DormantWorld does
    not have: an AttributeError, a 500, where one process answers 404."""
    flags = ("--defect", "foreign_ids_visible")
    a, b = started(database, *flags)
    try:
        httpx.post(f"{a.base}/_mock/workspaces")  # dormant on b once b applies its creation
        mine = httpx.post(f"{b.base}/_mock/workspaces").json()  # b's own, served by b
        answer = httpx.get(f"{b.base}{API}/batch-calls/batch_nope", headers=bearer(mine["api_key"]))
        assert answer.status_code == 404, answer.text
    finally:
        a.stop()
        b.stop()
