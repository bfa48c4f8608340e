"""Adversarial walks of the quota's running sums (store/memory.BatchCollection) and of the list
pages read newest first in place, through HTTP as a user drives them: both APIs, JSON and CSV
uploads, folder imports, pause/resume/cancel/delete/bulk delete, Zudu's execute/update/delete, the
control API's faults, resets and workspaces, a state file restarted and snapshotted, a real clock.

After every step the sums are those of a walk of the store (len(contacts), footprint.batch_bytes),
and a page of each list is the page of the store's batches, newest first, filtered. Answers are not
checked against the specs here (tests/services/test_batches.py shows a 500 these walks can meet)."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from support import API, AUTH, START, START_AT, ZUDU_AUTH

from mock_server.app import create_app
from mock_server.core import footprint
from mock_server.settings import Settings

AGENTS = ("agt_sandbox_ready", "agt_sandbox_not_ready")
STATUSES = ("draft", "scheduled", "active", "paused", "completed", "cancelled", "failed")


def number(step: int, row: int) -> str:
    return f"+1{3_000_000_000 + step * 100 + row}"


def sums_and_walk(world: Any) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    batches = world.store.batches(world.workspace.id)
    stored = list(batches.values())
    rows, weight = sum(len(b.contacts) for b in stored), sum(footprint.batch_bytes(b) for b in stored)
    walked = (len(stored), rows, weight)
    return (len(batches), batches.held_rows(), batches.held_bytes()), walked


def newest_first(world: Any, namespace: str) -> list[Any]:
    stored = list(world.store.batches(world.workspace.id).values())
    return [b for b in reversed(stored) if b.namespace == namespace]


class Walk:
    """One user's random steps on one workspace; `check` after each one."""

    def __init__(self, client: TestClient, world: Callable[[], Any], rng: random.Random,
                 headers: dict[str, str] | None = None) -> None:
        self.client, self.world, self.rng = client, world, rng
        self.auth = headers or AUTH
        self.step = 0
        self.days = 0  # the most days of calls the batches held at once: the walk opened some

    def ids(self, namespace: str) -> list[str]:
        return [b.id for b in newest_first(self.world(), namespace)]

    def run(self, steps: int, actions: tuple[str, ...]) -> None:
        for _ in range(steps):
            self.step += 1
            getattr(self, "do_" + self.rng.choice(actions))()
            self.check()

    # Truedy -------------------------------------------------------------------------------------
    def pick(self, *statuses: str) -> str:
        """A Truedy batch, in one of `statuses` when one is (most often); an unknown id when none is."""
        batches = newest_first(self.world(), "")
        fitting = [b for b in batches if b.status in statuses]
        chosen = fitting if fitting and self.rng.random() < 0.9 else batches
        return self.rng.choice(chosen).id if chosen else "batch_missing"

    def rows(self) -> list[dict[str, Any]]:
        return [{"phone_number": number(self.rng.randrange(self.step + 1), j), "first_name": "é" * j}
                for j in range(self.rng.randrange(1, 4))]

    def do_create(self) -> None:
        body = {"name": f"b{self.step}", "agent_id": self.rng.choice(AGENTS), "retry_failed": True,
                "max_concurrent_calls": self.rng.choice([1, 5]), "contacts": self.rows()}
        self.client.post(f"{API}/batch-calls", json=body, headers=self.auth)

    def do_folder(self) -> None:
        body = {"name": "folder", "agent_id": "agt_sandbox_ready", "contact_source": "folder",
                "contact_folder_id": "folder_sandbox_demo"}
        self.client.post(f"{API}/batch-calls", json=body, headers=self.auth)

    def do_upload(self) -> None:
        body = {"contacts": self.rows()}
        self.client.post(f"{API}/batch-calls/{self.pick()}/contacts", json=body, headers=self.auth)

    def do_csv(self) -> None:
        path = f"{API}/batch-calls/{self.pick()}/contacts"
        self.client.post(path, content=self.csv(), headers={**self.auth, "Content-Type": "text/csv"})

    def csv(self) -> str:
        lines = "".join(f"{r['phone_number']},{r['first_name']}\n" for r in self.rows())
        return "phone_number,first_name\n" + lines

    def do_command(self) -> None:
        command, status = self.rng.choice([("schedule", "draft"), ("pause", "active"), ("resume", "paused")])
        self.client.post(f"{API}/batch-calls/{self.pick(status)}/{command}", headers=self.auth)

    def do_edit(self) -> None:
        body = {"max_concurrent_calls": 2}
        self.client.patch(f"{API}/batch-calls/{self.pick()}", json=body, headers=self.auth)

    def do_delete(self) -> None:
        self.client.delete(f"{API}/batch-calls/{self.pick()}", headers=self.auth)

    def do_bulk_delete(self) -> None:
        ids = self.ids("")
        chosen = self.rng.sample(ids, min(len(ids), 2)) + ["batch_missing"]
        self.client.post(f"{API}/batch-calls/bulk-delete", json={"ids": chosen}, headers=self.auth)

    def do_import(self) -> None:
        headers = {**self.auth, "Content-Type": "text/csv"}
        self.client.post(f"{API}/contacts/import", content=self.csv(), headers=headers)

    # Zudu ---------------------------------------------------------------------------------------
    def zpick(self) -> str:
        ids = self.ids("zudu")
        return self.rng.choice(ids) if ids else "batch_call_missing"

    def do_zudu_create(self) -> None:
        tasks = [{"to_number": r["phone_number"]} for r in self.rows()]
        body = {"from_number": "+14157774444", "name": f"z{self.step}", "send_now": self.rng.random() < 0.5,
                "tasks": tasks}
        self.client.post("/batch-call", json=body, headers=ZUDU_AUTH)

    def do_zudu_command(self) -> None:
        batch_id = self.zpick()
        if self.rng.random() < 0.5:
            self.client.post(f"/batch-call/{batch_id}/execute", headers=ZUDU_AUTH)
        else:
            self.client.delete(f"/batch-call/{batch_id}", headers=ZUDU_AUTH)

    # the control API ----------------------------------------------------------------------------
    def do_advance(self) -> None:
        seconds = self.rng.choice([1, 60, 3_600, 86_400, 7 * 86_400])
        self.client.post("/_mock/clock/advance", json={"seconds": seconds}, headers=self.auth)

    def do_fault(self) -> None:
        if self.rng.random() < 0.5:
            self.client.post("/_mock/faults/scheduling", headers=self.auth)
        else:
            body = {"batch_call_id": self.pick()}
            self.client.post("/_mock/faults/provider-error", json=body, headers=self.auth)

    def do_reset(self) -> None:
        if self.rng.random() < 0.15:
            self.client.post("/_mock/reset", headers=self.auth)

    # what must hold -----------------------------------------------------------------------------
    def check(self) -> None:
        world = self.world()
        sums, walked = sums_and_walk(world)
        assert sums == walked, f"step {self.step}: running sums {sums}, a walk of the store {walked}"
        days = sum(len(b.by_day) for b in world.store.batches(world.workspace.id).values())
        self.days = max(self.days, days)
        rng = self.rng
        limit, offset = rng.choice([1, 2, 100]), rng.choice([0, 1, 3, 1_000])
        query: dict[str, Any] = {"limit": limit, "offset": offset}
        if rng.random() < 0.3:
            query["agent_id"] = rng.choice(AGENTS)
        if rng.random() < 0.3:
            query["status"] = rng.choice(STATUSES)
        page = self.client.get(f"{API}/batch-calls", params=query, headers=self.auth).json()
        found = [b for b in newest_first(world, "")
                 if query.get("agent_id", b.settings.agent_id) == b.settings.agent_id
                 and query.get("status", b.status) == b.status]
        assert [b["id"] for b in page["data"]] == [b.id for b in found[offset : offset + limit]], query
        assert page["pagination"]["total"] == len(found)
        assert page["pagination"]["has_more"] == (offset + limit < len(found))
        zudu_page = {"limit": 100, "sort_by": "created_at"}  # descending; ties newest first
        zudu = self.client.get("/batch-call/list", params=zudu_page, headers=ZUDU_AUTH).json()
        expected = [b.id for b in newest_first(world, "zudu")][:100]
        assert [b["batch_call_id"] for b in zudu["data"]["batch_calls"]] == expected


ALL = ("create", "create", "folder", "upload", "csv", "command", "command", "edit", "delete", "bulk_delete",
       "import", "zudu_create", "zudu_command", "advance", "fault", "reset")


@pytest.mark.parametrize("seed", [11, 12])
def test_the_sums_and_the_pages_follow_every_command_of_both_apis(seed: int) -> None:
    rng = random.Random(seed)
    app = create_app(Settings(clock="manual", start_at=START, seed=seed, live_edits=rng.random() < 0.5))
    with TestClient(app, raise_server_exceptions=False) as client:
        walk = Walk(client, lambda: app.state.sandbox.default_world, rng)
        walk.run(120, ALL)
        assert walk.days > 0


def test_the_sums_of_a_created_workspace_are_its_own() -> None:
    app = create_app(Settings(clock="manual", start_at=START, seed=5))
    sandbox = app.state.sandbox
    with TestClient(app, raise_server_exceptions=False) as client:
        created = client.post("/_mock/workspaces", json={"clock": "manual", "start_at": START_AT})
        key = created.json()["api_key"]
        other = {"Authorization": f"Bearer {key}"}
        world = next(w for w in sandbox.worlds.values() if w.workspace.api_key == key)
        rng = random.Random(5)
        mine = Walk(client, lambda: world, rng, other)
        theirs = Walk(client, lambda: sandbox.default_world, rng)
        for _ in range(6):
            mine.run(8, ALL[:9])
            theirs.run(8, ALL[:9])
        assert client.post("/_mock/reset?scope=all").status_code == 200
        theirs.check()


@pytest.mark.parametrize("snapshot_every", [1, 3, 10_000])
def test_the_sums_survive_restarts_and_snapshots(tmp_path: Path, snapshot_every: int) -> None:
    settings = Settings(clock="manual", start_at=START, seed=9, state_file=tmp_path / "state.db",
                        snapshot_every=snapshot_every)
    rng = random.Random(snapshot_every)
    for _ in range(4):  # a restart between each: replay what followed the last snapshot
        sandbox = create_app(settings)
        with TestClient(sandbox, raise_server_exceptions=False) as client:
            walk = Walk(client, lambda app=sandbox: app.state.sandbox.default_world, rng)
            walk.check()  # as restored
            walk.run(25, ALL[:-1])


def test_the_sums_follow_a_real_clock() -> None:
    """The simulation runs between requests on the server's loop: each check is read there too."""
    rng = random.Random(4)
    app = create_app(Settings(clock="real", speed=36_000.0, start_at=START, seed=4))
    with TestClient(app, raise_server_exceptions=False) as client:
        walk = Walk(client, lambda: app.state.sandbox.default_world, rng)
        for _ in range(60):
            walk.step += 1
            getattr(walk, "do_" + rng.choice(ALL[:-4]))()
            sums, walked = client.portal.call(lambda: sums_and_walk(app.state.sandbox.default_world))
            assert sums == walked, f"step {walk.step}"
