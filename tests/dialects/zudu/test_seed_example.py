"""A Zudu client following seed 004's curl example, with the sandbox pair, gets the documented answer."""

from __future__ import annotations

from typing import Any

from support import SEED_004, SEED_004_FIELDS, START, ZUDU_AUTH, CheckedClient

NOW_MS = round(START * 1000)


def test_seed_004_curl_example(client: CheckedClient) -> None:
    headers = {"Content-Type": "application/json", **ZUDU_AUTH}
    response = client.post("/batch-call", json=SEED_004, headers=headers)
    assert response.status_code == 201
    body: dict[str, Any] = response.json()
    assert list(body) == ["message", "status", "error", "data"]
    assert body["message"] == "Batch call created successfully"
    assert (body["status"], body["error"]) == ("success", None)
    data = body["data"]
    assert [k for k in data if k in SEED_004_FIELDS] == SEED_004_FIELDS
    assert data["batch_call_id"].startswith("batch_call_")
    assert {k: data[k] for k in ("name", "from_number", "scheduled_timestamp", "agent_id", "status")} == {
        "name": "Q1 Sales Campaign",
        "from_number": "+14157774444",
        "scheduled_timestamp": 1735718400000,  # milliseconds, as sent
        "agent_id": "agent_7ff47846-c8a0-4304-ae13-88cfc31c1a03",
        "status": "draft",
    }
    assert (data["total_task_count"], data["total"], data["sent"], data["picked_up"], data["completed"]) == (
        1, 1, 0, 0, 0)
    assert data["timezone"] == "America/New_York"
    assert data["last_sent_timestamp"] is None
    assert data["created_timestamp"] == NOW_MS
    assert data["tasks_url"] == f"/batch-call/{data['batch_call_id']}/tasks"
    assert set(data["access_info"]) == {"user_id", "session_id"}
    assert data["organization_id"]
    # the tasks_url answers the tasks, with the seed's dynamic variables
    tasks = client.get(data["tasks_url"], headers=ZUDU_AUTH).json()["data"]["tasks"]
    assert [(t["to_number"], t["status"], t["dynamic_variables"], t["max_retries"]) for t in tasks] == [
        ("+12137774445", "pending", SEED_004["tasks"][0]["dynamic_variables"], 3)]


def test_organization_id_is_echoed(client: CheckedClient) -> None:
    body = {**SEED_004, "organization_id": "e3yn0c4mivqs8y4yhb5k"}
    data = client.post("/batch-call", json=body, headers=ZUDU_AUTH).json()["data"]
    assert data["organization_id"] == "e3yn0c4mivqs8y4yhb5k"


def test_the_zudu_spec_is_served(client: CheckedClient) -> None:
    response = client.get("/openapi.zudu.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["servers"][0]["url"] == "http://127.0.0.1:8080"
    assert "/batch-call" in spec["paths"]
    assert client.get("/openapi.json").json()["servers"][0]["url"].endswith("/api/public/v1")
