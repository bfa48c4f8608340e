"""The sandbox's requests leave no reference cycles: what they drop, reference counting frees.

`serve`'s collector policy (mock_server/heap.py) freezes what survives, skips young collections
while they find nothing, and collects the frozen heap only once it grew 16-fold. Garbage in a cycle
therefore waits, with whatever it holds, for a full collection: a 422 (the error kept in the frame
its traceback holds, with the request's body) and a deleted workspace (its dispatcher held the
world) did, and the process grew with them. Here every kind of request, through ASGI as uvicorn
calls the app (the test client's own machinery makes cycles of its own), runs with the collector
off, and a collection afterwards must find nothing.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from support import API, CAMPAIGN, START, asgi

from mock_server.app import create_app
from mock_server.cluster.worlds import ClusterWorld, DormantWorld
from mock_server.persistence.recording import RecordingWorld
from mock_server.settings import Settings
from mock_server.store.base import Workspace
from mock_server.webhooks import Outbox, WebhookPolicy
from mock_server.world import SharedSettings, WorkspaceWorld, WorldConfig


@pytest.mark.in_process  # counts the garbage of its own app
def test_no_request_of_a_workspace_s_life_leaves_a_reference_cycle() -> None:
    app = create_app(Settings(clock="manual", start_at=START, allow_private_webhooks=True))
    found: list[tuple[str, int, int]] = []

    async def life(counted: bool) -> None:
        async def step(name: str, expected: int, *request: Any, **options: Any) -> Any:
            gc.collect()
            gc.disable()
            try:
                status, body = await asgi(app, *request, **options)
                garbage = gc.collect()
            finally:
                gc.enable()
            assert status == expected, (name, status, body)
            if counted and garbage:
                found.append((name, status, garbage))
            return body

        workspace = await step("create a workspace", 201, "POST", "/_mock/workspaces",
                               b'{"webhook_url": "http://127.0.0.1:9/hooks"}')
        key = workspace["api_key"]
        batch = (await step("create", 201, "POST", f"{API}/batch-calls", orjson.dumps(CAMPAIGN), key))["data"]
        one = f"{API}/batch-calls/{batch['id']}"
        await step("get", 200, "GET", one, key=key)
        await step("list", 200, "GET", f"{API}/batch-calls", key=key, query=b"limit=5")
        await step("update", 200, "PATCH", one, b'{"name": "Renamed"}', key)
        upload = b'{"contacts": [{"phone_number": "+14155550199"}]}'
        await step("upload", 200, "POST", f"{one}/contacts", upload, key)
        await step("schedule", 200, "POST", f"{one}/schedule", b"{}", key)
        await step("advance", 200, "POST", "/_mock/clock/advance", b'{"seconds": 600}', key)
        await step("pause", 200, "POST", f"{one}/pause", key=key)
        await step("resume", 200, "POST", f"{one}/resume", key=key)
        await step("advance a day", 200, "POST", "/_mock/clock/advance", b'{"seconds": 86400}', key)
        await step("analytics", 200, "GET", f"{one}/analytics", key=key)
        await step("events", 200, "GET", "/_mock/events", key=key)
        await step("deliveries", 200, "GET", "/_mock/webhooks/deliveries", key=key)
        await step("journal", 200, "GET", "/_mock/requests", key=key)
        await step("fault rule", 201, "POST", "/_mock/faults",
                   orjson.dumps({"path": f"{API}/agents", "status": 503, "count": 1}), key)
        await step("faulted", 503, "GET", f"{API}/agents", key=key)
        await step("agents", 200, "GET", f"{API}/agents", key=key)
        await step("contacts", 200, "GET", f"{API}/contacts", key=key)
        await step("numbers", 200, "GET", f"{API}/telephony/numbers", key=key)
        await step("404", 404, "GET", f"{API}/batch-calls/batch_nowhere", key=key)
        await step("422", 422, "POST", f"{API}/batch-calls", b'{"name": 5}', key)
        await step("400", 400, "POST", f"{API}/batch-calls", b"{not json", key)
        await step("401", 401, "GET", f"{API}/batch-calls", key="sk_test_nobody")
        await step("metrics", 200, "GET", "/_mock/metrics")
        await step("readiness", 201, "POST", "/_mock/readiness/start", key=key)
        await step("readiness report", 200, "GET", "/_mock/readiness", key=key)
        await step("bulk delete", 200, "POST", f"{API}/batch-calls/bulk-delete",
                   orjson.dumps({"ids": [batch["id"]]}), key)
        await step("reset", 200, "POST", "/_mock/reset", key=key)
        await step("delete the workspace", 204, "DELETE", f"/_mock/workspaces/{workspace['workspace_id']}")

    asyncio.run(life(counted=False))  # first uses: caches filled once, whatever they hold
    # what exists now is frozen: each collection examines what the requests made since, not the
    # test process's heap (40 s of full collections under xdist, 1 s frozen)
    gc.collect()
    gc.freeze()
    try:
        asyncio.run(life(counted=True))
    finally:
        gc.unfreeze()
    assert found == [], f"garbage in reference cycles after: {found}"


def _worlds() -> list[tuple[str, Callable[[], WorkspaceWorld]]]:
    outbox = Outbox(WebhookPolicy())

    def made(kind: type[WorkspaceWorld], **extra: Any) -> Callable[[], WorkspaceWorld]:
        config = WorldConfig(seed=1, clock="manual", start_at=START)
        return lambda: kind(Workspace(id="ws_1", api_key="sk_1"), config, SharedSettings(), outbox, **extra)

    cluster = made(ClusterWorld, outgoing=lambda *sent: None)
    return [
        ("in memory", made(WorkspaceWorld)),
        ("state file", made(RecordingWorld, replaying=lambda: False)),
        ("PostgreSQL", cluster),
        ("PostgreSQL, dormant", lambda: DormantWorld(cluster())),  # type: ignore[arg-type]
    ]


WORLDS = _worlds()


@pytest.mark.parametrize(("store", "world_of"), WORLDS, ids=[name for name, _ in WORLDS])
def test_every_kind_of_world_is_freed_by_reference_counting(
    store: str, world_of: Callable[[], WorkspaceWorld]
) -> None:
    """What a world holds that holds it back (its dispatcher's event sink, a cluster world's journal's
    way to the database) goes through a weak reference: a world deleted, restored over, woken or put
    to sleep (`--idle-evict`) is freed at once, with everything of its workspace."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        world = world_of()
        gone = weakref.ref(world)
        del world
        assert gone() is None, f"a {store} world is held in a reference cycle"
    finally:
        if enabled:
            gc.enable()
