"""--state-file in process: a restart replays the journal into exactly the state it stood in."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from support import API, AUTH, START, CheckedClient, make_client, new_batch

from mock_server.app import create_app
from mock_server.cli import main
from mock_server.persistence import StateFileMismatch
from mock_server.persistence.middleware import setting_differences
from mock_server.settings import Settings

DEMO = {"name": "Demo", "agent_id": "agt_sandbox_ready", "contact_source": "folder",
        "contact_folder_id": "folder_sandbox_demo", "max_concurrent_calls": 2, "retry_failed": True,
        "max_retry_attempts": 1}


def snapshot(app: Starlette) -> dict[str, Any]:
    """Everything the sandbox holds, world by world, compared by value."""
    sandbox = app.state.sandbox
    state: dict[str, Any] = {"credentials": sandbox.credentials._rng.getstate()}
    for world in sandbox.worlds.values():
        store, ws = world.store, world.workspace
        state[ws.id] = {
            "now": world.clock.now() if world.clock.mode == "manual" else None,
            "ids": world.ids._rng.getstate(),
            "faults": [rule.as_json() for rule in world.faults.rules()],
            "workspace": ws,
            "agents": list(store.agents(ws.id).values()),
            "folders": list(store.folders(ws.id).values()),
            "contacts": list(store.contacts(ws.id).values()),
            "batches": list(store.batches(ws.id).values()),
            "idempotency": list(world.idempotency_records().values()),
            "events": store.events(ws.id),
            "deliveries": [(d.id, d.event_id, d.url, d.body) for d in sandbox.outbox.deliveries(ws.id)],
        }
    return state


def without_keys(state: dict[str, Any]) -> dict[str, Any]:
    """A snapshot to compare with another sandbox's: workspace keys and secrets are drawn with a
    secret of each sandbox, so only a restart of the same state file keeps them."""
    return {ws: {**world, "workspace": world["workspace"].id} if isinstance(world, dict) else world
            for ws, world in state.items()}


def rows(path: Path) -> int:
    import sqlite3

    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT count(*) FROM requests").fetchone()[0])


def a_busy_session(client: CheckedClient) -> list[str]:
    """Every kind of write: API and control, answered 2xx, 4xx and by faults."""
    other = client.post("/_mock/workspaces").json()
    other_auth = {"Authorization": f"Bearer {other['api_key']}"}
    keyed = {**AUTH, "X-Idempotency-Key": "k1"}
    first = client.post(f"{API}/batch-calls", json=DEMO, headers=keyed)
    assert client.post(f"{API}/batch-calls", json=DEMO, headers=keyed).content == first.content
    refused = {**AUTH, "X-Idempotency-Key": "k2"}
    assert client.post(f"{API}/batch-calls", json={**DEMO, "agent_id": "agt_sandbox_inactive"},
                       headers=refused).status_code == 422  # a stored 422 is state too
    ids = [first.json()["data"]["id"], new_batch(client)["id"], new_batch(client, name="Two")["id"]]
    client.patch(f"{API}/batch-calls/{ids[1]}", json={"name": "Renamed"}, headers=AUTH)
    client.post(f"{API}/batch-calls/{ids[1]}/contacts", content=b"phone_number\n+14155550999\n",
                headers={**AUTH, "Content-Type": "text/csv"})
    client.post(f"{API}/contacts", json={"phone_number": "+14155550100"}, headers=other_auth)
    client.post(f"{API}/contacts/folders", json={"name": "Leads"}, headers=AUTH)
    client.post("/_mock/faults", json={"path": f"{API}/agents", "status": 503, "count": 2})
    client.get(f"{API}/agents", headers=AUTH)  # a fault used up by a GET is state too
    client.put("/_mock/webhooks", json={"url": "http://127.0.0.1:9/hooks"}, headers=other_auth)
    for batch_id in ids[:2]:
        assert client.post(f"{API}/batch-calls/{batch_id}/schedule", headers=AUTH).status_code == 200
    client.post("/_mock/clock/advance", json={"until": "2026-03-02T15:00:00Z"})
    client.post(f"{API}/batch-calls/{ids[0]}/pause", headers=AUTH)
    client.post("/_mock/clock/advance", json={"seconds": 1800})
    client.post(f"{API}/batch-calls/{ids[0]}/resume", headers=AUTH)
    client.delete(f"{API}/batch-calls/{ids[1]}", headers=AUTH)
    client.post("/_mock/faults/scheduling", headers=AUTH)
    client.post(f"{API}/batch-calls/{ids[2]}/schedule", headers=AUTH)  # fails: stays a draft
    client.post("/_mock/clock/advance", json={"seconds": 600})
    return ids


@pytest.mark.parametrize("snapshot_every", [10_000, 4], ids=["rows only", "snapshot and rows"])
def test_a_restart_rebuilds_the_same_state_and_continues_it(tmp_path: Path, snapshot_every: int) -> None:
    state_file = tmp_path / "state.db"
    with make_client(state_file=state_file, snapshot_every=snapshot_every) as client:
        ids = a_busy_session(client)
        before = snapshot(client.app)  # type: ignore[arg-type]
        answer = client.get(f"{API}/batch-calls/{ids[0]}", headers=AUTH).json()["data"]
        first = client.post(f"{API}/batch-calls", json=DEMO, headers={**AUTH, "X-Idempotency-Key": "k1"})
    with make_client(state_file=state_file, snapshot_every=snapshot_every) as again:
        report = again.app.state.persistence.report  # type: ignore[attr-defined]
        assert report.mismatches == []
        if snapshot_every < 20:  # compaction: a snapshot, then only the rows after it
            assert report.snapshot_seq is not None and report.snapshot_seq >= 20
            assert report.requests <= snapshot_every + 1 and rows(state_file) == report.requests
        else:
            assert report.snapshot_seq is None and report.requests > 20
        assert snapshot(again.app) == before  # type: ignore[arg-type]
        assert again.get(f"{API}/batch-calls/{ids[0]}", headers=AUTH).json()["data"] == answer
        replayed = again.post(f"{API}/batch-calls", json=DEMO, headers={**AUTH, "X-Idempotency-Key": "k1"})
        assert replayed.content == first.content
        assert replayed.headers["x-request-id"] == first.headers["x-request-id"]
        again.post("/_mock/clock/advance", json={"seconds": 7 * 86400})
        after_restart = snapshot(again.app)  # type: ignore[arg-type]
    # the same session without a restart ends in the same place
    with make_client(state_file=tmp_path / "straight.db") as straight:
        a_busy_session(straight)
        straight.post(f"{API}/batch-calls", json=DEMO, headers={**AUTH, "X-Idempotency-Key": "k1"})
        straight.post("/_mock/clock/advance", json={"seconds": 7 * 86400})
        assert without_keys(snapshot(straight.app)) == without_keys(after_restart)  # type: ignore[arg-type]
        status = straight.get(f"{API}/batch-calls/{ids[0]}", headers=AUTH).json()["data"]["status"]
        assert status == "completed"


def test_only_what_changed_state_is_journaled(tmp_path: Path) -> None:
    state_file = tmp_path / "state.db"
    with make_client(state_file=state_file, rate_limit="3/min") as client:
        keyed = {**AUTH, "X-Idempotency-Key": "once"}
        client.post(f"{API}/batch-calls", json=DEMO, headers=keyed)
        client.post(f"{API}/batch-calls", json=DEMO, headers=keyed)  # a replay changes nothing
        client.get(f"{API}/batch-calls", headers=AUTH)  # reads are not journaled
        assert client.post(f"{API}/batch-calls", json=DEMO, headers=AUTH).status_code == 429
        client.post("/_mock/clock/advance", json={"seconds": 60})
    assert rows(state_file) == 2  # the first create and the advance


def test_a_workspace_reset_is_replayed(tmp_path: Path) -> None:
    state_file = tmp_path / "state.db"
    with make_client(state_file=state_file) as client:
        new_batch(client)
        other = client.post("/_mock/workspaces").json()
        client.post(f"{API}/batch-calls", json=DEMO, headers={"Authorization": f"Bearer {other['api_key']}"})
        client.post("/_mock/clock/advance", json={"seconds": 3600})
        client.post("/_mock/reset")  # the default workspace's world only
        after = snapshot(client.app)  # type: ignore[arg-type]
    with make_client(state_file=state_file) as again:
        assert snapshot(again.app) == after  # type: ignore[arg-type]


def test_a_full_reset_empties_the_journal(tmp_path: Path) -> None:
    state_file = tmp_path / "state.db"
    with make_client(state_file=state_file) as client:
        new_batch(client)
        client.post("/_mock/clock/advance", json={"seconds": 3600})
        client.post("/_mock/reset?scope=all")
        fresh = snapshot(client.app)  # type: ignore[arg-type]
        assert rows(state_file) == 0
    with make_client(state_file=state_file) as again:
        assert snapshot(again.app) == fresh  # type: ignore[arg-type]


def test_concurrent_interleaved_requests_replay_identically(tmp_path: Path) -> None:
    """Faults, idempotency conflicts and writes interleaved by latency, replayed in journal order."""
    settings = Settings(clock="manual", start_at=START, seed=3, latency_ms=3, state_file=tmp_path / "s.db")
    app = create_app(settings)

    async def load() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as http:
            await http.post("/_mock/faults", json={"path": f"{API}/*", "status": 503, "probability": 0.3,
                                                   "count": 15})
            created = await asyncio.gather(*[
                http.post(f"{API}/batch-calls", json={**DEMO, "name": f"b{i % 12}"},
                          headers={**AUTH, "X-Idempotency-Key": f"key-{i % 12}"})
                for i in range(40)
            ])
            ids = sorted({r.json()["data"]["id"] for r in created if r.status_code == 201})
            await asyncio.gather(
                *[http.post(f"{API}/batch-calls/{i}/schedule", headers=AUTH) for i in ids],
                *[http.get(f"{API}/batch-calls/{i}", headers=AUTH) for i in ids],
                *[http.patch(f"{API}/batch-calls/{i}", json={"name": "late"}, headers=AUTH) for i in ids],
                http.post("/_mock/clock/advance", json={"until": "2026-03-02T16:00:00Z"}),
            )
            await asyncio.gather(*[http.post(f"{API}/batch-calls/{i}/{verb}", headers=AUTH)
                                   for i in ids for verb in ("pause", "resume")],
                                 http.post("/_mock/clock/advance", json={"seconds": 900}))

    asyncio.run(load())
    before = snapshot(app)
    app.state.persistence.close()
    again = create_app(settings)
    with TestClient(again):
        assert again.state.persistence.report.mismatches == []
        assert snapshot(again) == before


@pytest.mark.real_clock
@pytest.mark.parametrize("snapshot_every", [10_000, 3], ids=["rows only", "snapshot and rows"])
def test_the_real_clock_resumes_where_it_stood(tmp_path: Path, snapshot_every: int) -> None:
    settings = Settings(clock="real", speed=3600, start_at=START, seed=5, state_file=tmp_path / "s.db",
                        snapshot_every=snapshot_every)
    app = create_app(settings)
    with TestClient(app) as client:
        batch_id = new_batch(client)["id"]  # type: ignore[arg-type]
        client.post(f"{API}/batch-calls/{batch_id}/schedule", headers=AUTH)
        for _ in range(5):  # the pump and reads move the simulation between these writes
            time.sleep(0.04)
            client.get(f"{API}/batch-calls/{batch_id}", headers=AUTH)
            new_batch(client)
        client.post(f"{API}/batch-calls/{batch_id}/pause", headers=AUTH)
        world = app.state.sandbox.default_world
        horizon = world.dispatcher._now
        before = snapshot(app)
        stopped_at = world.now()
    again = create_app(settings)
    with TestClient(again):
        world = again.state.sandbox.default_world
        assert again.state.persistence.report.mismatches == []
        assert stopped_at <= world.now() < stopped_at + 3600  # no jump back, downtime not counted
        world.dispatcher.run_until(horizon)
        assert snapshot(again) == before


def test_other_settings_are_refused(tmp_path: Path) -> None:
    state_file = tmp_path / "state.db"
    with make_client(state_file=state_file) as client:
        new_batch(client)
    with pytest.raises(StateFileMismatch, match="seed"):
        create_app(Settings(clock="manual", start_at=START, seed=8, state_file=state_file))
    assert main(["serve", "--port", "0", "--clock", "manual", "--state-file", str(state_file)]) == 2
    # speed, latency, the rate limit, the request heads' timeout and how the access log is written
    # are free to change (`serve --head-timeout 5` restarts a state file it wrote)
    relaxed = dataclasses.replace(Settings(clock="manual", start_at=START, seed=7, state_file=state_file,
                                           allow_private_webhooks=True),  # as make_client's
                                  latency_ms=5, rate_limit="10/s", speed=2, head_timeout=5,
                                  access_log_thread=True)
    with TestClient(create_app(relaxed)) as again:
        assert again.get(f"{API}/batch-calls", headers=AUTH).json()["pagination"]["total"] == 1


def test_a_setting_an_older_version_kept_and_this_one_leaves_free_is_no_difference() -> None:
    expected = {"seed": 7, "max_batches": 10}
    assert setting_differences({"seed": 7, "max_batches": 10, "head_timeout": 10.0}, expected, "file") == ""
    assert setting_differences({"seed": 8, "max_batches": 10}, expected, "file") == "seed: file 8, now 7"
    assert setting_differences({"seed": 7}, expected, "store") == "max_batches: store None, now 10"
    assert setting_differences({**expected, "gone": 1}, expected, "file") == "gone: file 1, now None"


def test_delivered_webhooks_are_not_sent_again(tmp_path: Path) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    state_file = tmp_path / "state.db"
    try:
        with make_client(state_file=state_file) as client:
            client.put("/_mock/webhooks", json={"url": url}, headers=AUTH)
            batch_id = new_batch(client)["id"]
            client.post(f"{API}/batch-calls/{batch_id}/schedule", headers=AUTH)
            client.post("/_mock/clock/advance", json={"seconds": 3 * 86400})
            events = client.get("/_mock/events", headers=AUTH).json()["total"]
            deadline = time.monotonic() + 10
            while {d["state"] for d in client.get("/_mock/webhooks/deliveries",
                                                 headers=AUTH).json()["data"]} != {"delivered"}:
                assert time.monotonic() < deadline, "not delivered in time"
                time.sleep(0.02)
        with make_client(state_file=state_file) as again:
            deliveries = again.get("/_mock/webhooks/deliveries", headers=AUTH).json()["data"]
            assert len(deliveries) == events and {d["state"] for d in deliveries} == {"delivered"}
            time.sleep(0.2)
        assert len(received) == events
    finally:
        server.shutdown()
        server.server_close()
