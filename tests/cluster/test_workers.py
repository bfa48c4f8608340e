"""`serve --store … --workers 2`: two processes answer on one port as one sandbox; a worker killed
with kill -9 is replaced while the other serves on; SIGTERM stops them all."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

import httpx
from instances import Instance, launch, wait_until_up, workers
from support import API, AUTH

CREATE = {"name": "Workers", "agent_id": "agt_sandbox_ready", "contacts": [{"phone_number": "+14155550101"}]}


def until(condition: Callable[[], bool], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_two_workers_serve_one_sandbox_and_a_killed_one_is_replaced(database: str) -> None:
    process = launch("--store", database, "--clock", "manual", "--workers", "2")
    instance = Instance(process, wait_until_up(process))
    try:
        until(lambda: len(workers(process.pid)) == 2)
        first = workers(process.pid)
        created = [httpx.post(f"{instance.base}{API}/batch-calls", json=CREATE, headers=AUTH)
                   for _ in range(20)]
        assert {answer.status_code for answer in created} == {201}
        os.kill(min(first), signal.SIGKILL)
        # the other worker answers meanwhile; every create acknowledged before is still there
        listed = httpx.get(f"{instance.base}{API}/batch-calls", params={"limit": 100}, headers=AUTH)
        assert listed.status_code == 200
        assert {b["id"] for b in listed.json()["data"]} >= {a.json()["data"]["id"] for a in created}
        until(lambda: len(workers(process.pid)) == 2 and min(first) not in workers(process.pid))
        again = httpx.post(f"{instance.base}{API}/batch-calls", json=CREATE, headers=AUTH)
        assert again.status_code == 201
    finally:
        instance.stop()
    assert process.returncode == 0
    assert "ended (signal 9); starting another" in "".join(instance.output)
