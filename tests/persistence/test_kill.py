"""`kill -9` under a write load: everything that was answered is there after a restart."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2 as httpx
from support import API, AUTH, start_server

FLAGS = ("--clock", "manual", "--start-at", "2026-03-02T08:00:00Z", "--seed", "11")
TOMORROW = "2026-03-03T15:00:00Z"
VALID_STATUSES = {"completed", "cancelled"}


def start(state_file: Path) -> tuple[subprocess.Popen[str], str]:
    return start_server(*FLAGS, "--state-file", str(state_file))


def kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=10)  # reaps it and closes its pipes


def run_threads(count: int, work: Callable[[int], None]) -> list[threading.Thread]:
    threads = [threading.Thread(target=work, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    return threads


def body(name: str) -> dict[str, Any]:
    return {"name": name, "agent_id": "agt_sandbox_ready", "contact_source": "folder",
            "contact_folder_id": "folder_sandbox_demo", "max_concurrent_calls": 3}


def state_of(http: httpx.Client, batch_ids: list[str]) -> dict[str, Any]:
    return {
        "batches": {b: http.get(f"{API}/batch-calls/{b}").json()["data"] for b in batch_ids},
        "events": http.get("/_mock/events").json()["data"],
        "clock": http.get("/_mock/clock").json()["now"],
    }


def test_nothing_answered_is_lost_and_the_campaigns_continue(tmp_path: Path) -> None:
    state_file = tmp_path / "state.db"
    process, base = start(state_file)
    lock = threading.Lock()
    running: list[str] = []  # phase 1: scheduled, paused, resumed, run by advances

    # phase 1: concurrent creates, schedules, pauses, resumes and clock advances
    def campaign(n: int) -> None:
        with httpx.Client(base_url=base, headers=AUTH, timeout=10) as http:
            ids = []
            for j in range(3):
                key = {"X-Idempotency-Key": f"p1-{n}-{j}"}
                ids.append(http.post(f"{API}/batch-calls", json=body(f"p1-{n}-{j}"), headers=key)
                           .json()["data"]["id"])
            for batch_id in ids[:2]:
                assert http.post(f"{API}/batch-calls/{batch_id}/schedule").status_code == 200
            # the clock runs meanwhile: a batch may finish before the pause, or while paused
            if http.post(f"{API}/batch-calls/{ids[0]}/pause").status_code == 200:
                resumed = http.post(f"{API}/batch-calls/{ids[0]}/resume")
                finished = resumed.status_code == 422 and resumed.json()["error"]["details"]["status"]
                assert resumed.status_code == 200 or finished == "completed"
            with lock:
                running.extend(ids)

    def clock(n: int) -> None:
        with httpx.Client(base_url=base, timeout=10) as http:
            for _ in range(6):
                assert http.post("/_mock/clock/advance", json={"seconds": 300}).status_code == 200

    for thread in [*run_threads(4, campaign), *run_threads(1, clock)]:
        thread.join()
    with httpx.Client(base_url=base, headers=AUTH, timeout=10) as http:
        http.post("/_mock/clock/advance", json={"seconds": 300})
        settled = state_of(http, running)

    # phase 2: drafts created, renamed and scheduled for tomorrow by four threads; killed mid-way
    last: dict[str, dict[str, Any]] = {}  # batch id -> its last answered body
    created: dict[str, tuple[str, bytes]] = {}  # batch id -> (idempotency key, the 201's bytes)
    unsure: set[str] = set()  # a request on it was in flight at the kill
    answered = [0]
    stop = threading.Event()

    def drafts(n: int) -> None:
        with httpx.Client(base_url=base, headers=AUTH, timeout=10) as http:
            j = 0
            while not stop.is_set():
                key = f"p2-{n}-{j}"
                j += 1
                try:
                    response = http.post(f"{API}/batch-calls", json=body(key),
                                         headers={"X-Idempotency-Key": key})
                except httpx.TransportError:
                    return
                batch_id = response.json()["data"]["id"]
                with lock:
                    created[batch_id] = (key, response.content)
                    last[batch_id] = response.json()["data"]
                    unsure.add(batch_id)
                    answered[0] += 1
                for method, path, payload in (
                    ("PATCH", f"{API}/batch-calls/{batch_id}", {"name": f"{key}-renamed"}),
                    ("POST", f"{API}/batch-calls/{batch_id}/schedule", {"scheduled_at": TOMORROW}),
                ):
                    try:
                        response = http.request(method, path, json=payload)
                    except httpx.TransportError:
                        return
                    assert response.status_code == 200, response.text
                    with lock:
                        last[batch_id] = response.json()["data"]
                        answered[0] += 1
                with lock:
                    unsure.discard(batch_id)

    threads = run_threads(4, drafts)
    deadline = time.monotonic() + 10
    while answered[0] < 150 and time.monotonic() < deadline:
        time.sleep(0.005)
    kill(process)
    stop.set()
    for thread in threads:
        thread.join()
    assert answered[0] >= 150

    process, base = start(state_file)
    try:
        with httpx.Client(base_url=base, headers=AUTH, timeout=10) as http:
            after = state_of(http, running)
            assert after["batches"] == settled["batches"]
            assert after["clock"] == settled["clock"]
            assert after["events"][: len(settled["events"])] == settled["events"]
            for batch_id, answer in last.items():
                now = http.get(f"{API}/batch-calls/{batch_id}")
                assert now.status_code == 200, f"answered {batch_id} lost"
                if batch_id not in unsure:
                    assert now.json()["data"] == answer
            for key, content in created.values():  # idempotency records survived too
                again = http.post(f"{API}/batch-calls", json=body(key), headers={"X-Idempotency-Key": key})
                assert again.content == content and again.headers["idempotent-replayed"] == "true"
            # the simulation continues where it stood: a week later every campaign has finished
            http.post("/_mock/clock/advance", json={"seconds": 7 * 86400})
            for batch_id in [*running, *last]:
                data = http.get(f"{API}/batch-calls/{batch_id}").json()["data"]
                if data["status"] == "draft":
                    continue
                assert data["status"] in VALID_STATUSES, data
                assert data["completed_contacts"] == data["successful_contacts"] + data["failed_contacts"]
                assert data["completed_contacts"] == data["total_contacts"]
            finished = state_of(http, [*running, *last])
        kill(process)  # once more, idle: a second replay gives the same state again
        process, base = start(state_file)
        with httpx.Client(base_url=base, headers=AUTH, timeout=10) as http:
            assert state_of(http, [*running, *last]) == finished
    finally:
        kill(process)
