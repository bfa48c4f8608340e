"""The tests a partner writes for their client, against the sandbox the package's pytest plugin
starts (`batchcalls_sandbox`: in process, a free port, a manual clock from Monday 08:00 UTC)."""

from __future__ import annotations

import pytest
from campaigns import CampaignClient

DEMO = {"folder_id": "folder_sandbox_demo", "agent_id": "agt_sandbox_ready"}
CREATE = "/api/public/v1/batch-calls"
SCHEDULE = "/api/public/v1/batch-calls/{batch_call_id}/schedule"


@pytest.fixture
def waits():
    return []


@pytest.fixture
def client(batchcalls_sandbox, waits):
    client = CampaignClient(batchcalls_sandbox.base_url, batchcalls_sandbox.api_key, sleep=waits.append)
    yield client
    client.close()


def test_a_campaign_is_created_once_and_scheduled_once(batchcalls_sandbox, client):
    batch = client.launch("Spring renewals", **DEMO)
    assert batch["status"] == "scheduled"
    (create,) = batchcalls_sandbox.journal.assert_called("POST", CREATE)
    assert "x-idempotency-key" in create["request_headers"]
    batchcalls_sandbox.journal.assert_called("POST", SCHEDULE, times=1)


def test_the_results_once_the_campaign_has_run(batchcalls_sandbox, client):
    batch = client.launch(
        "Spring renewals", **DEMO, timezone="America/New_York", start_time="09:00", end_time="17:00"
    )
    batchcalls_sandbox.advance_until(batch=batch["id"], status="completed")
    results = client.results(batch["id"])
    assert results["completed_contacts"] == results["total_contacts"] == 10
    assert results["voicemail_contacts"] >= 1  # +15550100001, a magic number of the demo folder


def test_a_503_on_create_is_retried_after_retry_after_with_the_same_key(batchcalls_sandbox, client, waits):
    batchcalls_sandbox.fault(path=CREATE, method="POST", status=503, count=1)
    client.launch("Retried", **DEMO)
    retried, refused = batchcalls_sandbox.journal.assert_called("POST", CREATE, times=2)  # newest first
    assert (refused["status"], retried["status"]) == (503, 201)
    assert waits == [float(refused["response_headers"]["retry-after"])]
    assert retried["request_headers"]["x-idempotency-key"] == refused["request_headers"]["x-idempotency-key"]


def test_the_webhooks_of_a_campaign(batchcalls_sandbox, client):
    receiver = batchcalls_sandbox.webhooks  # verifies X-Truedy-Signature with the workspace's secret
    batch = client.launch("Webhooks", **DEMO)
    batchcalls_sandbox.advance(hours=12)
    done = receiver.wait_for("batch.completed", batch_id=batch["id"])
    assert done["data"]["completed_contacts"] == 10 and receiver.rejected == 0


def test_a_campaign_runs_to_the_end(batchcalls_sandbox):
    hooks = batchcalls_sandbox.webhooks  # a receiver that checks signatures, set up before the run
    client = CampaignClient(batchcalls_sandbox.base_url, batchcalls_sandbox.api_key)  # your client
    batch = client.launch("Spring renewals", "folder_sandbox_demo", "agt_sandbox_ready")
    batchcalls_sandbox.advance_until(batch=batch["id"], status="completed")
    assert client.results(batch["id"])["completed_contacts"] == 10
    batchcalls_sandbox.journal.assert_called("POST", "/api/public/v1/batch-calls/{batch_call_id}/schedule")
    assert hooks.wait_for("batch.completed", batch_id=batch["id"])["data"]["completed_contacts"] == 10
    client.close()
