"""Concurrent requests, in process (asyncio) and against a live server (threads): one batch per
idempotency key, only valid lifecycle transitions, true counters, no lost update."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from support import API, AUTH, START, live_server

from mock_server.app import create_app
from mock_server.settings import Settings

# Each request sleeps this long inside the server before its handler runs, so requests overlap.
LATENCY_MS = "5"
CONTACTS = [{"phone_number": f"+1415555{n:04d}"} for n in range(40)]
EDGES = {
    ("draft", "scheduled"), ("scheduled", "active"), ("active", "completed"),
    ("scheduled", "paused"), ("active", "paused"), ("paused", "scheduled"), ("paused", "active"),
    ("scheduled", "cancelled"), ("active", "cancelled"), ("paused", "cancelled"),
    ("paused", "completed"),  # the last calls ended while paused (docs/spec-notes.md)
}
TERMINAL = {"completed", "voicemail", "no_answer", "failed"}
PATCHES: list[dict[str, Any]] = [
    {"name": "renamed"}, {"timezone": "Europe/Paris"}, {"max_concurrent_calls": 7},
    {"max_calls_per_day": 50}, {"retry_failed": True}, {"max_retry_attempts": 2},
    {"working_days": [1, 2, 3]}, {"phone_rotation_strategy": "round_robin"},
]

Send = Callable[[str, str, Any, dict[str, str]], Awaitable[httpx.Response]]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server for the module, with a state file, so group commit is under the same load."""
    state_file = tmp_path_factory.mktemp("live") / "state.db"
    with live_server("--clock", "manual", "--start-at", "2026-03-02T08:00:00Z", "--latency-ms",
                     LATENCY_MS, "--state-file", str(state_file)) as base:
        yield base


def in_process() -> tuple[Send, Callable[[], Awaitable[None]]]:
    app = create_app(Settings(clock="manual", start_at=START, seed=7, latency_ms=int(LATENCY_MS)))
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox")

    async def send(method: str, path: str, body: Any, headers: dict[str, str]) -> httpx.Response:
        return await http.request(method, path, json=body, headers=headers)

    return send, http.aclose


def over_threads(base: str) -> tuple[Send, Callable[[], Awaitable[None]]]:
    """The same interface, each request on a thread of a 32-thread pool against the live server."""
    pool = ThreadPoolExecutor(32)
    http = httpx.Client(base_url=base, timeout=10, limits=httpx.Limits(max_connections=32))

    async def send(method: str, path: str, body: Any, headers: dict[str, str]) -> httpx.Response:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            pool, lambda: http.request(method, path, json=body, headers=headers)
        )

    async def close() -> None:
        pool.shutdown()
        http.close()

    return send, close


def run(target: str, live_base: Callable[[], str], scenario: Callable[[Send], Awaitable[None]]) -> None:
    send, close = in_process() if target == "in_process" else over_threads(live_base())

    async def main() -> None:
        try:
            await scenario(send)
        finally:
            await close()

    asyncio.run(main())


async def workspace(send: Send) -> dict[str, str]:
    """A fresh workspace: the live server is shared by this module's tests."""
    created = await send("POST", "/_mock/workspaces", None, {})
    return {"Authorization": f"Bearer {created.json()['api_key']}"}


async def new_batch(send: Send, auth: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"name": "Race", "agent_id": "agt_sandbox_ready", "contacts": CONTACTS, **fields}
    created = await send("POST", f"{API}/batch-calls", body, auth)
    assert created.status_code == 201, created.text
    data: dict[str, Any] = created.json()["data"]
    return data


def check_lifecycle(events: list[dict[str, Any]], batch_id: str) -> list[str]:
    changes = [e["data"] for e in events
               if e["event"] == "batch.status.changed" and e["data"]["batch_id"] == batch_id]
    path = ["draft"]
    for change in changes:
        assert change["previous_status"] == path[-1], (path, change)
        assert (change["previous_status"], change["status"]) in EDGES, (path, change)
        path.append(change["status"])
    return path


def check_counters(batch: dict[str, Any], contacts: list[dict[str, Any]]) -> None:
    assert batch["completed_contacts"] == batch["successful_contacts"] + batch["failed_contacts"]
    assert batch["failed_contacts"] >= batch["voicemail_contacts"] + batch["no_answer_contacts"]
    statuses = [c["call_status"] for c in contacts]
    completed = sum(s in TERMINAL for s in statuses)
    cancelled = statuses.count("cancelled")
    pending = sum(s in ("pending", "scheduled", "in_progress") for s in statuses)
    assert completed == batch["completed_contacts"]
    assert completed + cancelled + pending == batch["total_contacts"] == len(contacts)


TARGETS = ["in_process", "live"]


@pytest.mark.parametrize("target", TARGETS)
def test_200_creates_with_one_idempotency_key_make_one_batch(target: str, request: Any) -> None:
    async def scenario(send: Send) -> None:
        auth = await workspace(send)
        headers = {**auth, "X-Idempotency-Key": "one-key"}
        body = {"name": "Once", "agent_id": "agt_sandbox_ready"}
        answers = await asyncio.gather(*[send("POST", f"{API}/batch-calls", body, headers)
                                         for _ in range(200)])
        statuses = {a.status_code for a in answers}
        assert statuses <= {201, 409}, statuses  # 409: the first is still in progress
        created = {a.content for a in answers if a.status_code == 201}
        assert len(created) == 1  # every 201 is the same answer, replayed
        listed = (await send("GET", f"{API}/batch-calls", None, auth)).json()
        assert listed["pagination"]["total"] == 1

    run(target, lambda: request.getfixturevalue("live"), scenario)


@pytest.mark.parametrize("target", TARGETS)
def test_pause_resume_delete_races_leave_valid_transitions_and_true_counters(
    target: str, request: Any
) -> None:
    async def scenario(send: Send) -> None:
        auth = await workspace(send)
        kept = await new_batch(send, auth, max_concurrent_calls=3, retry_failed=True, max_retry_attempts=1)
        doomed = await new_batch(send, auth, max_concurrent_calls=3)
        for batch in (kept, doomed):
            assert (await send("POST", f"{API}/batch-calls/{batch['id']}/schedule", None, auth)).is_success
        await send("POST", "/_mock/clock/advance", {"seconds": 60}, auth)  # the workspace's own clock
        rng = random.Random(4)
        for round_ in range(3):
            storm = [send("POST", f"{API}/batch-calls/{b['id']}/{rng.choice(['pause', 'resume'])}",
                          None, auth) for _ in range(20) for b in (kept, doomed)]
            storm.append(send("POST", "/_mock/clock/advance", {"seconds": 120}, auth))
            if round_ == 1:
                storm += [send("DELETE", f"{API}/batch-calls/{doomed['id']}", None, auth) for _ in range(3)]
            rng.shuffle(storm)
            answers = await asyncio.gather(*storm)
            assert {a.status_code for a in answers} <= {200, 204, 404, 422}
        await send("POST", "/_mock/clock/advance", {"seconds": 60}, auth)
        await send("POST", f"{API}/batch-calls/{kept['id']}/resume", None, auth)  # if left paused
        await send("POST", "/_mock/clock/advance", {"seconds": 7 * 86400}, auth)
        events = (await send("GET", "/_mock/events", None, auth)).json()["data"]
        assert check_lifecycle(events, kept["id"])[-1] == "completed"
        assert check_lifecycle(events, doomed["id"])[-1] == "cancelled"
        # a cancelled batch is removed by a second DELETE; if one came in time it is gone now
        assert (await send("GET", f"{API}/batch-calls/{doomed['id']}", None, auth)).status_code in (200, 404)
        batch = (await send("GET", f"{API}/batch-calls/{kept['id']}", None, auth)).json()["data"]
        contacts = (await send("GET", f"{API}/batch-calls/{kept['id']}/contacts?limit=100", None, auth))
        check_counters(batch, contacts.json()["data"])
        assert batch["completed_contacts"] == batch["total_contacts"] == len(CONTACTS)
        done = [e["data"] for e in events if e["event"] == "batch.completed"]
        assert len(done) == 1 and done[0]["completed_contacts"] == len(CONTACTS)

    run(target, lambda: request.getfixturevalue("live"), scenario)


@pytest.mark.parametrize("target", TARGETS)
def test_concurrent_patches_lose_no_update(target: str, request: Any) -> None:
    async def scenario(send: Send) -> None:
        auth = await workspace(send)
        batch = await new_batch(send, auth)
        path = f"{API}/batch-calls/{batch['id']}"
        answers = await asyncio.gather(*[send("PATCH", path, change, auth) for change in PATCHES * 3])
        assert {a.status_code for a in answers} == {200}
        final = (await send("GET", path, None, auth)).json()["data"]
        for change in PATCHES:  # every field kept its update: none was overwritten by a stale copy
            (field, value), = change.items()
            assert final[field] == value
        # and the result is that of one serial order: the last PATCH applied answered exactly it
        assert any(a.json()["data"] == final for a in answers)

    run(target, lambda: request.getfixturevalue("live"), scenario)


def test_idempotency_keys_survive_a_restart_under_concurrency(tmp_path: Path) -> None:
    """The live fixture's scenario with persistence, checked across a restart in process."""
    settings = Settings(clock="manual", start_at=START, seed=7, latency_ms=2, state_file=tmp_path / "s.db")
    app = create_app(settings)

    async def race() -> set[bytes]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as http:
            headers = {**AUTH, "X-Idempotency-Key": "k"}
            body = {"name": "Once", "agent_id": "agt_sandbox_ready"}
            answers = await asyncio.gather(*[http.post(f"{API}/batch-calls", json=body, headers=headers)
                                             for _ in range(50)])
            return {a.content for a in answers if a.status_code == 201}

    created = asyncio.run(race())
    app.state.persistence.close()
    again = create_app(settings)

    async def after() -> tuple[int, bytes]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=again), base_url="http://s") as http:
            listed = await http.get(f"{API}/batch-calls", headers=AUTH)
            body = {"name": "Once", "agent_id": "agt_sandbox_ready"}
            replay = await http.post(f"{API}/batch-calls", json=body,
                                     headers={**AUTH, "X-Idempotency-Key": "k"})
            return listed.json()["pagination"]["total"], replay.content

    total, replayed = asyncio.run(after())
    again.state.persistence.close()
    assert total == 1 and created == {replayed}


def test_a_cancelled_request_frees_its_idempotency_key() -> None:
    """A client that gives up mid-request (the task is cancelled) must not leave the key taken."""
    app = create_app(Settings(clock="manual", start_at=START, latency_ms=100))

    async def scenario() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as http:
            headers = {**AUTH, "X-Idempotency-Key": "given-up"}
            body = {"name": "x", "agent_id": "agt_sandbox_ready"}
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(http.post(f"{API}/batch-calls", json=body, headers=headers), 0.02)
            return await http.post(f"{API}/batch-calls", json=body, headers=headers)

    assert asyncio.run(scenario()).status_code == 201
