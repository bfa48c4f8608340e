"""The batch lifecycle and every business-rule 422, through HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from support import API, AUTH, START, CheckedClient, new_batch


def post(client: CheckedClient, path: str, body: Any = None) -> Any:
    return client.post(f"{API}{path}", json=body, headers=AUTH)


def error_code(response: Any) -> str:
    return str(response.json()["error"]["code"])


def test_create_returns_draft_with_location_and_folder_contacts(client: CheckedClient) -> None:
    response = client.post(
        f"{API}/batch-calls",
        json={
            "name": "Q1",
            "agent_id": "agt_sandbox_ready",
            "contact_source": "folder",
            "contact_folder_id": "folder_sandbox_demo",
        },
        headers=AUTH,
    )
    assert response.status_code == 201
    data = response.json()["data"]
    assert response.headers["location"] == f"{API}/batch-calls/{data['id']}"
    assert data["status"] == "draft"
    assert data["total_contacts"] == 10
    assert data["timezone"] == "UTC" and data["working_days"] == [1, 2, 3, 4, 5]
    assert data["max_concurrent_calls"] == 10 and data["retry_failed"] is False
    assert client.get(f"{API}/batch-calls/{data['id']}", headers=AUTH).json()["data"] == data


def test_contacts_are_the_deduplicated_union_in_order(client: CheckedClient) -> None:
    batch = new_batch(
        client,
        contacts=[
            {"phone_number": "+14155550999", "first_name": "Inline"},
            {"phone_number": "+14155550101"},
        ],  # also in the demo folder
        contact_ids=["ctc_sandbox_02"],
    )
    assert batch["total_contacts"] == 11
    rows = client.get(f"{API}/batch-calls/{batch['id']}/contacts", headers=AUTH).json()["data"]
    assert [r["phone_number"] for r in rows[:3]] == ["+14155550999", "+14155550101", "+14155550102"]
    assert all(r["call_status"] == "pending" for r in rows)


def test_full_lifecycle_schedule_pause_resume_cancel_delete(client: CheckedClient) -> None:
    batch_id = new_batch(client)["id"]
    scheduled = post(client, f"/batch-calls/{batch_id}/schedule")
    assert scheduled.status_code == 200, scheduled.text
    assert scheduled.json()["data"]["status"] in ("scheduled", "active")
    assert post(client, f"/batch-calls/{batch_id}/pause").json()["data"]["status"] == "paused"
    resumed = post(client, f"/batch-calls/{batch_id}/resume").json()["data"]
    assert resumed["status"] in ("scheduled", "active")
    assert client.delete(f"{API}/batch-calls/{batch_id}", headers=AUTH).status_code == 204
    cancelled = client.get(f"{API}/batch-calls/{batch_id}", headers=AUTH).json()["data"]
    assert cancelled["status"] == "cancelled"
    assert client.delete(f"{API}/batch-calls/{batch_id}", headers=AUTH).status_code == 204
    gone = client.get(f"{API}/batch-calls/{batch_id}", headers=AUTH)
    assert gone.status_code == 404
    assert gone.json()["error"]["details"] == {"resource": "batch_call", "id": batch_id}


def test_delete_of_a_draft_removes_it(client: CheckedClient) -> None:
    batch_id = new_batch(client)["id"]
    assert client.delete(f"{API}/batch-calls/{batch_id}", headers=AUTH).status_code == 204
    assert client.get(f"{API}/batch-calls/{batch_id}", headers=AUTH).status_code == 404
    assert client.delete(f"{API}/batch-calls/{batch_id}", headers=AUTH).status_code == 404


@pytest.mark.parametrize(
    ("action", "status_before"),
    [
        ("pause", "draft"),
        ("resume", "draft"),
        ("resume", "scheduled"),
        ("schedule", "scheduled"),
        ("pause", "paused"),
    ],
)
def test_invalid_state_names_current_and_allowed(
    client: CheckedClient, action: str, status_before: str
) -> None:
    batch_id = new_batch(client)["id"]
    if status_before in ("scheduled", "paused"):
        post(client, f"/batch-calls/{batch_id}/schedule", {"scheduled_at": "2026-03-09T09:00:00Z"})
    if status_before == "paused":
        post(client, f"/batch-calls/{batch_id}/pause")
    response = post(client, f"/batch-calls/{batch_id}/{action}")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_state"
    assert status_before in error["message"]
    assert error["details"]["status"] == status_before


def test_patch_outside_draft_is_invalid_state(client: CheckedClient) -> None:
    batch_id = new_batch(client)["id"]
    post(client, f"/batch-calls/{batch_id}/schedule", {"scheduled_at": "2026-03-09T09:00:00Z"})
    response = client.patch(f"{API}/batch-calls/{batch_id}", json={"name": "x"}, headers=AUTH)
    assert response.status_code == 422 and error_code(response) == "invalid_state"


def test_schedule_without_contacts_is_no_contacts(client: CheckedClient) -> None:
    batch_id = new_batch(client, contact_folder_id="folder_sandbox_empty")["id"]
    response = post(client, f"/batch-calls/{batch_id}/schedule")
    assert response.status_code == 422 and error_code(response) == "no_contacts"


@pytest.mark.parametrize("agent", ["agt_sandbox_not_ready", "agt_sandbox_inactive"])
def test_agent_not_ready(client: CheckedClient, agent: str) -> None:
    response = post(client, "/batch-calls", {"name": "x", "agent_id": agent})
    assert response.status_code == 422 and error_code(response) == "agent_not_ready"


def test_no_phone_numbers(client: CheckedClient) -> None:
    response = post(client, "/batch-calls", {"name": "x", "agent_id": "agt_sandbox_no_numbers"})
    assert response.status_code == 422 and error_code(response) == "no_phone_numbers"
    with_number = post(
        client,
        "/batch-calls",
        {"name": "x", "agent_id": "agt_sandbox_no_numbers", "phone_number_ids": ["num_sandbox_1"]},
    )
    assert with_number.status_code == 201


def test_scheduled_at_in_past_on_create_and_schedule(client: CheckedClient) -> None:
    past = "2026-03-01T09:00:00Z"
    response = post(
        client,
        "/batch-calls",
        {"name": "x", "agent_id": "agt_sandbox_ready", "schedule_type": "scheduled", "scheduled_at": past},
    )
    assert response.status_code == 422 and error_code(response) == "scheduled_at_in_past"
    batch_id = new_batch(client)["id"]
    response = post(client, f"/batch-calls/{batch_id}/schedule", {"scheduled_at": past})
    assert response.status_code == 422 and error_code(response) == "scheduled_at_in_past"


def test_scheduling_failed_leaves_the_batch_in_draft(client: CheckedClient) -> None:
    batch_id = new_batch(client)["id"]
    assert client.post("/_mock/faults/scheduling", headers=AUTH).status_code == 200
    response = post(client, f"/batch-calls/{batch_id}/schedule")
    assert response.status_code == 422 and error_code(response) == "scheduling_failed"
    assert client.get(f"{API}/batch-calls/{batch_id}", headers=AUTH).json()["data"]["status"] == "draft"
    assert post(client, f"/batch-calls/{batch_id}/schedule").status_code == 200


def test_unknown_references_are_404_with_details(client: CheckedClient) -> None:
    cases = [
        ({"agent_id": "agt_nope"}, "agent", "agt_nope"),
        ({"phone_number_ids": ["num_nope"]}, "phone_number", "num_nope"),
        ({"contact_source": "folder", "contact_folder_id": "folder_nope"}, "contact_folder", "folder_nope"),
        ({"contact_ids": ["ctc_nope"]}, "contact", "ctc_nope"),
    ]
    for fields, resource, missing in cases:
        body = {"name": "x", "agent_id": "agt_sandbox_ready", **fields}
        response = post(client, "/batch-calls", body)
        assert response.status_code == 404, (fields, response.text)
        assert response.json()["error"]["details"] == {"resource": resource, "id": missing}


def test_patch_merges_and_revalidates_as_a_whole(client: CheckedClient) -> None:
    batch_id = new_batch(client, start_time="09:00", end_time="17:00")["id"]
    ok = client.patch(
        f"{API}/batch-calls/{batch_id}", json={"name": "Renamed", "max_concurrent_calls": 3}, headers=AUTH
    )
    assert ok.status_code == 200
    assert ok.json()["data"]["name"] == "Renamed" and ok.json()["data"]["start_time"] == "09:00"
    bad = client.patch(f"{API}/batch-calls/{batch_id}", json={"end_time": "08:00"}, headers=AUTH)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "end_time"]


def test_live_edits_setting_allows_patch_while_paused() -> None:
    from support import make_client

    with make_client(live_edits=True) as live:
        batch_id = new_batch(live)["id"]
        post(live, f"/batch-calls/{batch_id}/schedule", {"scheduled_at": "2026-03-09T09:00:00Z"})
        post(live, f"/batch-calls/{batch_id}/pause")
        response = live.patch(f"{API}/batch-calls/{batch_id}", json={"max_concurrent_calls": 2}, headers=AUTH)
        assert response.status_code == 200
        assert response.json()["data"]["max_concurrent_calls"] == 2


def test_bulk_delete_reports_each_id(client: CheckedClient) -> None:
    first, second = new_batch(client)["id"], new_batch(client)["id"]
    response = post(client, "/batch-calls/bulk-delete", {"ids": [first, "batch_nope", second]})
    assert response.status_code == 200
    assert response.json()["data"] == {
        "deleted_count": 2,
        "failed_count": 1,
        "deleted_ids": [first, second],
        "failed_ids": ["batch_nope"],
    }


def test_upload_csv_and_json_contacts_while_draft(client: CheckedClient) -> None:
    batch_id = post(client, "/batch-calls", {"name": "csv", "agent_id": "agt_sandbox_ready"}).json()["data"][
        "id"
    ]
    csv = "phone_number,first_name\n+14155550201,Ann\n+14155550202,Bob\n+14155550201,Dup\n"
    response = client.post(
        f"{API}/batch-calls/{batch_id}/contacts", content=csv, headers={**AUTH, "Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {
        "batch_call_id": batch_id,
        "added": 2,
        "duplicates": 1,
        "total_contacts": 2,
    }
    response = post(
        client, f"/batch-calls/{batch_id}/contacts", {"contacts": [{"phone_number": "+14155550203"}]}
    )
    assert response.json()["data"]["total_contacts"] == 3


def test_rejected_csv_reports_lines_and_keeps_nothing(client: CheckedClient) -> None:
    batch_id = post(client, "/batch-calls", {"name": "csv", "agent_id": "agt_sandbox_ready"}).json()["data"][
        "id"
    ]
    csv = "phone_number\n+14155550201\n555-0100\n+14155550203\nnope\n"
    response = client.post(
        f"{API}/batch-calls/{batch_id}/contacts", content=csv, headers={**AUTH, "Content-Type": "text/csv"}
    )
    assert response.status_code == 422
    assert [d["loc"] for d in response.json()["detail"]] == [
        ["body", 3, "phone_number"],
        ["body", 5, "phone_number"],
    ]
    batch = client.get(f"{API}/batch-calls/{batch_id}", headers=AUTH).json()["data"]
    assert batch["total_contacts"] == 0


def test_created_at_follows_the_simulated_clock(client: CheckedClient) -> None:
    batch = new_batch(client)
    assert batch["created_at"] == "2026-03-02T08:00:00.000000Z"
    assert START == 1772438400.0


def test_a_start_past_the_calendar_is_a_validation_error(client: CheckedClient) -> None:
    batch_id = new_batch(client)["id"]
    response = post(client, f"/batch-calls/{batch_id}/schedule", {"scheduled_at": "9999-12-31T23:59:59Z"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "scheduled_at"]
    ok = post(client, f"/batch-calls/{batch_id}/schedule", {"scheduled_at": "9998-12-31T09:00:00Z"})
    assert ok.status_code == 200
