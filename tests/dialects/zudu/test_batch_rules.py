"""Zudu's rules: what create, PATCH, DELETE and execute accept in each status, and the 400/422 otherwise."""

from __future__ import annotations

from typing import Any

import pytest
from support import START, ZUDU_AUTH, CheckedClient, new_zudu_batch

NOW_MS = round(START * 1000)
HOUR_MS = 3_600_000
TASKS = [{"to_number": "+12137774445"}, {"to_number": "+12137774446"}]


def create(client: CheckedClient, **fields: Any) -> Any:
    body = {"from_number": "+14157774444", "tasks": TASKS, **fields}
    return client.post("/batch-call", json=body, headers=ZUDU_AUTH)


def refused(response: Any, status: int, sentence: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == "error"
    assert body["error"] == sentence, body


def fields_of(response: Any) -> set[str | None]:
    assert response.status_code == 422, response.text
    return {e["field"] for e in response.json()["errors"]}


def run_to_completion(client: CheckedClient) -> None:
    client.post("/_mock/clock/advance", json={"seconds": 4 * 3600})


def a_batch_in(client: CheckedClient, status: str) -> str:
    """A batch call in this Zudu status, through Zudu's API alone."""
    if status == "draft":
        return str(new_zudu_batch(client)["batch_call_id"])
    if status == "scheduled":
        batch = new_zudu_batch(client, status="scheduled", trigger_timestamp=NOW_MS + HOUR_MS)
        return str(batch["batch_call_id"])
    if status == "sent":
        # many tasks: the batch is still dialling after the request
        tasks = [{"to_number": f"+1213777{n:04d}"} for n in range(30)]
        return str(new_zudu_batch(client, tasks=tasks, send_now=True)["batch_call_id"])
    if status == "completed":
        batch_id = str(new_zudu_batch(client, send_now=True)["batch_call_id"])
        run_to_completion(client)
        return batch_id
    if status == "failed":
        assert client.post("/_mock/faults/scheduling", headers=ZUDU_AUTH).status_code == 200
        return str(new_zudu_batch(client, send_now=True)["batch_call_id"])
    raise AssertionError(status)


def tasks_of(client: CheckedClient, batch_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/batch-call/{batch_id}/tasks", headers=ZUDU_AUTH)
    tasks: list[dict[str, Any]] = response.json()["data"]["tasks"]
    return tasks


def status_of(client: CheckedClient, batch_id: str) -> str:
    return str(client.get(f"/batch-call/{batch_id}", headers=ZUDU_AUTH).json()["data"]["status"])


@pytest.mark.parametrize("status", ["draft", "scheduled", "sent", "completed", "failed"])
def test_every_status_is_reachable(client: CheckedClient, status: str) -> None:
    assert status_of(client, a_batch_in(client, status)) == status


# -- create ---------------------------------------------------------------------------------------
def test_create_defaults_to_draft(client: CheckedClient) -> None:
    data = create(client).json()["data"]
    assert (data["status"], data["name"], data["agent_id"], data["timezone"]) == ("draft", None, None, "UTC")
    assert data["scheduled_timestamp"] is None


STARTS = [{"send_now": True}, {"status": "sent"}, {"send_now": True, "status": "sent"}]


@pytest.mark.parametrize("fields", STARTS)
def test_send_now_or_status_sent_dials_at_once(client: CheckedClient, fields: dict[str, Any]) -> None:
    response = create(client, trigger_timestamp=NOW_MS + HOUR_MS, **fields)
    data = response.json()["data"]
    assert response.status_code == 201
    assert (data["status"], data["sent"], data["last_sent_timestamp"]) == ("sent", 2, NOW_MS)
    assert data["scheduled_timestamp"] == NOW_MS + HOUR_MS  # recorded, not waited for


@pytest.mark.parametrize("fields", [{"status": "scheduled"}, {}])
def test_a_trigger_timestamp_schedules(client: CheckedClient, fields: dict[str, Any]) -> None:
    data = create(client, trigger_timestamp=NOW_MS + HOUR_MS, **fields).json()["data"]
    assert (data["status"], data["scheduled_timestamp"], data["sent"]) == ("scheduled", NOW_MS + HOUR_MS, 0)
    tasks = tasks_of(client, data["batch_call_id"])
    assert {t["next_call_timestamp"] for t in tasks} == {NOW_MS + HOUR_MS}


def test_scheduling_needs_a_future_trigger(client: CheckedClient) -> None:
    assert fields_of(create(client, status="scheduled")) == {"trigger_timestamp"}
    assert fields_of(create(client, status="scheduled", trigger_timestamp=NOW_MS)) == {"trigger_timestamp"}
    assert fields_of(create(client, trigger_timestamp=NOW_MS - 1)) == {"trigger_timestamp"}
    # a draft records any trigger, even a past one (seed 004's example is a past moment)
    assert create(client, status="draft", trigger_timestamp=1735718400000).status_code == 201


@pytest.mark.parametrize("status", ["draft", "scheduled"])
def test_send_now_contradicts_draft_and_scheduled(client: CheckedClient, status: str) -> None:
    response = create(client, send_now=True, status=status, trigger_timestamp=NOW_MS + HOUR_MS)
    assert fields_of(response) == {"send_now"}


def test_every_violation_is_listed_at_once(client: CheckedClient) -> None:
    body = {
        "from_number": "+14157774444",
        "tasks": [
            {"to_number": "+14157774444"},  # the caller itself
            {"to_number": "+12137774445", "max_retries": 11},
            {"to_number": "+12137774445"},  # again
            {"to_number": "+1213777444x"},
            {"to_number": "+12137774447", "dynamic_variables": {"notes": "x" * 6000}},
        ],
        "name": "",
        "agent_id": "agent_123",
        "timezone": "Mars/Olympus",
        "status": "paused",
    }
    response = client.post("/batch-call", json=body, headers=ZUDU_AUTH)
    # the schema first: every schema violation, listed together
    assert fields_of(response) == {"tasks[1].max_retries", "tasks[3].to_number", "name", "agent_id", "status"}
    assert "(and 2 more)" in response.json()["error"]
    body.update(name="ok", agent_id="agent_7ff47846-c8a0-4304-ae13-88cfc31c1a03", status="draft")
    body["tasks"][1].pop("max_retries")
    body["tasks"][3]["to_number"] = "+12137774448"
    response = client.post("/batch-call", json=body, headers=ZUDU_AUTH)
    # then the rules the schema cannot say
    assert fields_of(response) == {
        "tasks[0].to_number", "tasks[2].to_number", "tasks[4].dynamic_variables", "timezone"}
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert errors["tasks[2].to_number"]["message"] == "to_number repeats tasks[1]"
    assert errors["timezone"]["type"] == "timezone_error"
    assert {e["location"] for e in errors.values()} == {"body"}


def test_task_count_limits(client: CheckedClient) -> None:
    assert fields_of(create(client, tasks=[])) == {"tasks"}
    many = [{"to_number": f"+1213{n:07d}"} for n in range(1001)]
    assert fields_of(create(client, tasks=many)) == {"tasks"}
    assert create(client, tasks=many[:1000]).json()["data"]["total_task_count"] == 1000


# -- PATCH ----------------------------------------------------------------------------------------
def patch(client: CheckedClient, batch_id: str, **fields: Any) -> Any:
    return client.patch(f"/batch-call/{batch_id}", json=fields, headers=ZUDU_AUTH)


@pytest.mark.parametrize("status", ["draft", "scheduled", "sent"])
def test_name_and_timezone_change_until_finished(client: CheckedClient, status: str) -> None:
    batch_id = a_batch_in(client, status)
    response = patch(client, batch_id, name="Renamed", timezone="Europe/Paris")
    data = response.json()["data"]
    assert (response.status_code, data["name"], data["timezone"], data["status"]) == (
        200, "Renamed", "Europe/Paris", status)
    assert response.json()["message"] == "Batch call updated successfully"


@pytest.mark.parametrize("status", ["completed", "failed"])
def test_finished_batches_are_immutable(client: CheckedClient, status: str) -> None:
    batch_id = a_batch_in(client, status)
    for fields in ({"name": "x"}, {"status": "sent"}, {}, {"timezone": "UTC"}):
        refused(patch(client, batch_id, **fields), 400, f"Cannot update batch call with status {status}")
    assert client.get(f"/batch-call/{batch_id}", headers=ZUDU_AUTH).json()["data"]["name"] == "Zudu campaign"


def test_status_transitions(client: CheckedClient) -> None:
    batch_id = a_batch_in(client, "draft")
    # draft -> scheduled needs a trigger
    assert fields_of(patch(client, batch_id, status="scheduled")) == {"trigger_timestamp"}
    data = patch(client, batch_id, status="scheduled", trigger_timestamp=NOW_MS + HOUR_MS).json()["data"]
    assert (data["status"], data["scheduled_timestamp"]) == ("scheduled", NOW_MS + HOUR_MS)
    # a new trigger re-plans a scheduled batch
    data = patch(client, batch_id, trigger_timestamp=NOW_MS + 2 * HOUR_MS).json()["data"]
    assert (data["status"], data["scheduled_timestamp"]) == ("scheduled", NOW_MS + 2 * HOUR_MS)
    tasks = tasks_of(client, batch_id)
    assert {t["next_call_timestamp"] for t in tasks} == {NOW_MS + 2 * HOUR_MS}
    # scheduled -> draft drops the plan; the same status is no change
    assert patch(client, batch_id, status="draft").json()["data"]["status"] == "draft"
    assert patch(client, batch_id, status="draft").json()["data"]["status"] == "draft"
    client.post("/_mock/clock/advance", json={"seconds": 3 * 3600})
    assert status_of(client, batch_id) == "draft"  # nothing was left planned
    # draft -> sent, then sent cannot go back
    assert patch(client, batch_id, status="sent").json()["data"]["status"] == "sent"
    refused(patch(client, batch_id, status="draft"), 400, "Cannot unschedule batch call with status sent")
    refused(patch(client, batch_id, status="scheduled"), 400, "Cannot schedule batch call with status sent")
    refused(patch(client, batch_id, trigger_timestamp=NOW_MS + 9 * HOUR_MS), 400,
            "Cannot reschedule batch call with status sent")
    assert patch(client, batch_id, status="sent").status_code == 200  # already sent: no change


def test_a_refused_patch_changes_nothing(client: CheckedClient) -> None:
    batch_id = a_batch_in(client, "sent")
    refused(patch(client, batch_id, name="Half applied", status="draft"), 400,
            "Cannot unschedule batch call with status sent")
    assert client.get(f"/batch-call/{batch_id}", headers=ZUDU_AUTH).json()["data"]["name"] == "Zudu campaign"


def test_patch_values_are_checked_before_the_batch(client: CheckedClient) -> None:
    past = NOW_MS - 1
    assert fields_of(patch(client, "batch_call_unknown", trigger_timestamp=past)) == {"trigger_timestamp"}
    assert fields_of(patch(client, "batch_call_unknown", timezone="Nowhere/Land")) == {"timezone"}
    assert fields_of(patch(client, "batch_call_unknown", status="completed")) == {"status"}
    refused(patch(client, "batch_call_unknown", name="x"), 404, "Batch call batch_call_unknown not found")


# -- DELETE ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", ["draft", "completed"])
def test_delete_draft_or_completed(client: CheckedClient, status: str) -> None:
    batch_id = a_batch_in(client, status)
    response = client.delete(f"/batch-call/{batch_id}", headers=ZUDU_AUTH)
    assert response.status_code == 200
    assert response.json() == {
        "message": "Batch call deleted successfully", "status": "success", "error": None, "data": None}
    assert client.get(f"/batch-call/{batch_id}", headers=ZUDU_AUTH).status_code == 404
    again = client.delete(f"/batch-call/{batch_id}", headers=ZUDU_AUTH)
    refused(again, 404, f"Batch call {batch_id} not found")


@pytest.mark.parametrize("status", ["scheduled", "sent", "failed"])
def test_delete_refuses_other_statuses(client: CheckedClient, status: str) -> None:
    batch_id = a_batch_in(client, status)
    response = client.delete(f"/batch-call/{batch_id}", headers=ZUDU_AUTH)
    refused(response, 400, f"Cannot delete batch call with status {status}")
    assert response.json()["message"] == "Validation error"
    assert status_of(client, batch_id) == status


# -- execute --------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", ["draft", "scheduled"])
def test_execute_draft_or_scheduled(client: CheckedClient, status: str) -> None:
    batch_id = a_batch_in(client, status)
    response = client.post(f"/batch-call/{batch_id}/execute", headers=ZUDU_AUTH)
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Batch call execution started"
    data = body["data"]
    assert (data["status"], data["execution_started_timestamp"], data["sent"]) == ("sent", NOW_MS, 2)
    tasks = tasks_of(client, batch_id)
    assert {t["status"] for t in tasks} == {"calling"}


@pytest.mark.parametrize("status", ["sent", "completed", "failed"])
def test_execute_refuses_other_statuses(client: CheckedClient, status: str) -> None:
    batch_id = a_batch_in(client, status)
    refused(client.post(f"/batch-call/{batch_id}/execute", headers=ZUDU_AUTH), 400,
            f"Cannot execute batch call with status {status}")


def test_a_provider_fault_fails_the_start(client: CheckedClient) -> None:
    draft = a_batch_in(client, "draft")
    client.post("/_mock/faults/scheduling", headers=ZUDU_AUTH)
    data = client.post(f"/batch-call/{draft}/execute", headers=ZUDU_AUTH).json()["data"]
    assert (data["status"], data["sent"], data["completed"], data["total"]) == ("failed", 0, 2, 2)
    outcomes = {(t["status"], t["error_message"]) for t in tasks_of(client, draft)}
    assert outcomes == {("failed", "not dialled: the batch call failed")}
    # the fault strikes once
    assert client.post(f"/batch-call/{a_batch_in(client, 'draft')}/execute", headers=ZUDU_AUTH).json()[
        "data"]["status"] == "sent"
