"""The real clock, sped up: a campaign runs to the end on its own, driven by no request at all."""

from __future__ import annotations

import time

from starlette.testclient import TestClient
from support import API, AUTH

from mock_server.app import create_app
from mock_server.settings import Settings


def test_a_sped_up_real_clock_runs_a_campaign_without_requests() -> None:
    # an hour a second: a few minutes of calls take well under a second of wall time
    with TestClient(create_app(Settings(clock="real", speed=3600))) as client:
        body = {
            "name": "Real time",
            "agent_id": "agt_sandbox_ready",
            "working_days": [1, 2, 3, 4, 5, 6, 7],
            "contacts": [{"phone_number": "+15550100001"}, {"phone_number": "+15550100003"}],
        }
        batch_id = client.post(f"{API}/batch-calls", json=body, headers=AUTH).json()["data"]["id"]
        started = client.get("/_mock/clock").json()["now"]
        assert client.post(f"{API}/batch-calls/{batch_id}/schedule", headers=AUTH).status_code == 200
        # no request in between: the background pump alone must place and end the calls
        time.sleep(1.5)
        events = client.get("/_mock/events", headers=AUTH).json()["data"]
        assert [e["event"] for e in events if e["event"].startswith("batch.")][-1] == "batch.completed"
        batch = client.get(f"{API}/batch-calls/{batch_id}", headers=AUTH).json()["data"]
        assert (batch["status"], batch["voicemail_contacts"], batch["failed_contacts"]) == ("completed", 1, 2)
        assert client.get("/_mock/clock").json()["now"] > started  # simulated time moved on its own
