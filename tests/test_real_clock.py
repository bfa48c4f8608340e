"""The real clock, sped up: a campaign runs to the end on its own, driven by no request at all."""

from __future__ import annotations

import time

import pytest
from starlette.testclient import TestClient
from support import API, AUTH, START

from mock_server.app import create_app
from mock_server.settings import Settings


@pytest.mark.real_clock
def test_a_sped_up_real_clock_runs_a_campaign_without_requests() -> None:
    # an hour a second from a Monday 08:00 UTC, every day a working day and no window: the calls are
    # due at once, and their few minutes of simulated time take well under a second of wall time
    with TestClient(create_app(Settings(clock="real", speed=3600, start_at=START))) as client:
        body = {
            "name": "Real time",
            "agent_id": "agt_sandbox_ready",
            "working_days": [1, 2, 3, 4, 5, 6, 7],
            "contacts": [{"phone_number": "+15550100001"}, {"phone_number": "+15550100003"}],
        }
        batch_id = client.post(f"{API}/batch-calls", json=body, headers=AUTH).json()["data"]["id"]
        started = client.get("/_mock/clock").json()["now"]
        assert client.post(f"{API}/batch-calls/{batch_id}/schedule", headers=AUTH).status_code == 200
        # no request in between (a request would run what is due itself): the background pump alone
        # must place and end the calls; the wait watches the sandbox's state, bounded (30 simulated hours)
        world = client.app.state.sandbox.default_world  # type: ignore[attr-defined]
        deadline = time.monotonic() + 30
        while world.store.batches(world.id).get(batch_id).status != "completed":
            assert time.monotonic() < deadline, "the pump did not complete the batch in 30 s"
            time.sleep(0.05)
        events = client.get("/_mock/events", headers=AUTH).json()["data"]
        assert [e["event"] for e in events if e["event"].startswith("batch.")][-1] == "batch.completed"
        batch = client.get(f"{API}/batch-calls/{batch_id}", headers=AUTH).json()["data"]
        assert (batch["status"], batch["voicemail_contacts"], batch["failed_contacts"]) == ("completed", 1, 2)
        assert client.get("/_mock/clock").json()["now"] > started  # simulated time moved on its own
