"""A campaign's whole life through HTTP alone, on the manual clock."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from support import API, AUTH, CAMPAIGN, CheckedClient, make_client


def get(client: CheckedClient, path: str, **params: Any) -> Any:
    response = client.get(f"{API}{path}", params=params, headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()


def advance(client: CheckedClient, **body: Any) -> Any:
    response = client.post("/_mock/clock/advance", json=body)
    assert response.status_code == 200
    return response.json()


def contacts(client: CheckedClient, batch_id: str) -> list[dict[str, Any]]:
    return list(get(client, f"/batch-calls/{batch_id}/contacts", limit=100)["data"])


def check_invariants(batch: dict[str, Any]) -> None:
    assert batch["completed_contacts"] == batch["successful_contacts"] + batch["failed_contacts"]
    assert batch["failed_contacts"] >= batch["voicemail_contacts"] + batch["no_answer_contacts"]
    assert batch["completed_contacts"] <= batch["total_contacts"]


def test_create_schedule_pause_resume_complete(client: CheckedClient) -> None:
    batch_id = client.post(f"{API}/batch-calls", json=CAMPAIGN, headers=AUTH).json()["data"]["id"]
    assert (
        client.post(f"{API}/batch-calls/{batch_id}/schedule", headers=AUTH).json()["data"]["status"]
        == "scheduled"
    )
    # 08:00 UTC is 03:00 in New York: nothing before the window opens at 14:00 UTC
    advance(client, until="2026-03-02T13:59:00Z")
    assert get(client, f"/batch-calls/{batch_id}")["data"]["status"] == "scheduled"
    assert all(c["attempts"] == 0 for c in contacts(client, batch_id))
    advance(client, until="2026-03-02T14:10:00Z")
    running = get(client, f"/batch-calls/{batch_id}")["data"]
    assert running["status"] == "active"
    check_invariants(running)

    paused = client.post(f"{API}/batch-calls/{batch_id}/pause", headers=AUTH).json()["data"]
    assert paused["status"] == "paused"
    before = contacts(client, batch_id)
    advance(client, seconds=2 * 86400)
    after = contacts(client, batch_id)
    placed_before = sum(c["attempts"] for c in before)
    in_progress = sum(1 for c in before if c["call_status"] == "in_progress")
    # calls in progress at the pause finish; no new call starts
    assert sum(c["attempts"] for c in after) == placed_before
    assert not any(c["call_status"] == "in_progress" for c in after)
    assert in_progress <= 2

    resumed = client.post(f"{API}/batch-calls/{batch_id}/resume", headers=AUTH).json()["data"]
    assert resumed["status"] in ("scheduled", "active")
    advance(client, seconds=7 * 86400)
    final = get(client, f"/batch-calls/{batch_id}")["data"]
    assert final["status"] == "completed"
    check_invariants(final)
    assert final["completed_contacts"] == final["total_contacts"] == 10

    rows = contacts(client, batch_id)
    analytics = get(client, f"/batch-calls/{batch_id}/analytics")["data"]
    outcomes = Counter(r["call_status"] for r in rows)
    assert analytics["successful_contacts"] == outcomes["completed"] == final["successful_contacts"]
    assert analytics["voicemail_contacts"] == outcomes["voicemail"]
    assert analytics["no_answer_contacts"] == outcomes["no_answer"]
    assert analytics["calls_placed"] == sum(r["attempts"] for r in rows)
    # a retried contact shows its last call's duration; analytics counts every call
    assert analytics["total_duration_seconds"] >= sum(r["duration_seconds"] or 0 for r in rows) > 0
    assert abs(analytics["total_cost_usd"] - sum(r["cost_usd"] for r in rows)) < 1e-6
    assert sum(d["calls_placed"] for d in analytics["by_day"]) == analytics["calls_placed"]
    # magic numbers
    by_phone = {r["phone_number"]: r for r in rows}
    assert by_phone["+15550100001"]["call_status"] == "voicemail"
    assert by_phone["+15550100003"]["error_reason"] == "busy"
    assert by_phone["+15550100004"]["error_reason"] == "invalid_number"
    assert by_phone["+15550100005"]["call_status"] == "completed"
    assert by_phone["+15550100005"]["attempts"] == 2
    # calls only inside 09:00-17:00 New York on working days
    for row in rows:
        if row["called_at"]:
            assert "T14:00:00" <= row["called_at"][10:] < "T22:00:00", row


@pytest.mark.in_process  # request ids count from the process's start: a reused pair's differ
def test_same_seed_same_requests_same_bytes() -> None:
    def play() -> list[bytes]:
        with make_client() as c:
            batch_id = c.post(f"{API}/batch-calls", json=CAMPAIGN, headers=AUTH).json()["data"]["id"]
            c.post(f"{API}/batch-calls/{batch_id}/schedule", headers=AUTH)
            c.post("/_mock/clock/advance", json={"seconds": 5 * 86400})
            return [
                c.get(f"{API}/batch-calls/{batch_id}", headers=AUTH).content,
                c.get(f"{API}/batch-calls/{batch_id}/contacts", headers=AUTH).content,
                c.get(f"{API}/batch-calls/{batch_id}/analytics", headers=AUTH).content,
                c.get("/_mock/events", headers=AUTH).content,
            ]

    assert play() == play()


def test_delete_cancels_a_running_campaign_and_its_pending_contacts(client: CheckedClient) -> None:
    batch_id = client.post(f"{API}/batch-calls", json=CAMPAIGN, headers=AUTH).json()["data"]["id"]
    client.post(f"{API}/batch-calls/{batch_id}/schedule", headers=AUTH)
    advance(client, until="2026-03-02T14:05:00Z")
    assert client.delete(f"{API}/batch-calls/{batch_id}", headers=AUTH).status_code == 204
    advance(client, seconds=86400)
    batch = get(client, f"/batch-calls/{batch_id}")["data"]
    assert batch["status"] == "cancelled"
    check_invariants(batch)
    statuses = Counter(c["call_status"] for c in contacts(client, batch_id))
    assert statuses["cancelled"] >= 1 and statuses["scheduled"] == 0 and statuses["in_progress"] == 0
    analytics = get(client, f"/batch-calls/{batch_id}/analytics")["data"]
    assert analytics["cancelled_contacts"] == statuses["cancelled"]


def test_live_edit_replans_pending_contacts_only() -> None:
    with make_client(live_edits=True) as live:
        batch_id = live.post(f"{API}/batch-calls", json=CAMPAIGN, headers=AUTH).json()["data"]["id"]
        live.post(f"{API}/batch-calls/{batch_id}/schedule", headers=AUTH)
        advance(live, until="2026-03-02T14:30:00Z")
        live.post(f"{API}/batch-calls/{batch_id}/pause", headers=AUTH)
        advance(live, seconds=600)
        finished = {
            c["contact_id"]: c
            for c in contacts(live, batch_id)
            if c["call_status"] in ("completed", "voicemail", "no_answer", "failed")
        }
        patched = live.patch(
            f"{API}/batch-calls/{batch_id}", json={"start_time": "12:00", "end_time": "13:00"}, headers=AUTH
        )
        assert patched.status_code == 200
        live.post(f"{API}/batch-calls/{batch_id}/resume", headers=AUTH)
        advance(live, seconds=7 * 86400)
        rows = {c["contact_id"]: c for c in contacts(live, batch_id)}
        for contact_id, before in finished.items():
            if before["attempts"] == rows[contact_id]["attempts"]:
                assert rows[contact_id] == before  # finished and not retried: untouched
        late = [c for c in rows.values() if c["called_at"] and c["called_at"] > "2026-03-02T15:00"]
        # 12:00-13:00 New York is 17:00-18:00 UTC (EST)
        assert late and all("T17:00:00" <= c["called_at"][10:] < "T18:00:00" for c in late)


def test_reading_never_changes_what_is_created() -> None:
    def created_ids(reads: int) -> list[str]:
        with make_client() as c:
            ids = []
            for _ in range(3):
                for _ in range(reads):
                    c.get(f"{API}/agents", headers=AUTH)
                ids.append(c.post(f"{API}/batch-calls", json=CAMPAIGN, headers=AUTH).json()["data"]["id"])
            return ids

    assert created_ids(0) == created_ids(4)


def test_batch_and_analytics_agree_on_averages(client: CheckedClient) -> None:
    batch_id = client.post(f"{API}/batch-calls", json=CAMPAIGN, headers=AUTH).json()["data"]["id"]
    client.post(f"{API}/batch-calls/{batch_id}/schedule", headers=AUTH)
    for step in range(12):  # mid-campaign too, while calls are in progress
        advance(client, seconds=1800 + step)
        batch = get(client, f"/batch-calls/{batch_id}")["data"]
        analytics = get(client, f"/batch-calls/{batch_id}/analytics")["data"]
        for key in ("average_duration_seconds", "total_cost_usd", "completed_contacts"):
            assert batch[key] == analytics[key], key


def test_a_provider_error_fails_a_running_campaign(client: CheckedClient) -> None:
    batch_id = client.post(f"{API}/batch-calls", json=CAMPAIGN, headers=AUTH).json()["data"]["id"]
    assert client.post("/_mock/faults/provider-error", json={"batch_call_id": batch_id}).status_code == 409
    client.post(f"{API}/batch-calls/{batch_id}/schedule", headers=AUTH)
    advance(client, until="2026-03-02T14:01:00Z")  # two calls in progress
    in_progress = [c for c in contacts(client, batch_id) if c["call_status"] == "in_progress"]
    assert in_progress
    failed = client.post("/_mock/faults/provider-error", json={"batch_call_id": batch_id})
    assert failed.json() == {"batch_call_id": batch_id, "status": "failed"}
    advance(client, seconds=7 * 86400)
    batch = get(client, f"/batch-calls/{batch_id}")["data"]
    assert batch["status"] == "failed"
    check_invariants(batch)
    rows = {c["contact_id"]: c for c in contacts(client, batch_id)}
    # the calls in progress finished and were recorded; nobody else was called afterwards
    assert all(rows[c["contact_id"]]["call_status"] not in ("in_progress", "scheduled") for c in in_progress)
    called = [c for c in rows.values() if c["called_at"]]
    assert all(c["called_at"] < "2026-03-02T14:01:00" for c in called)  # nothing dialled after
    assert sum(c["attempts"] for c in called) == len(called)  # and nothing retried
    cancelled = {c["contact_id"] for c in rows.values() if c["call_status"] == "cancelled"}
    never_called = {c["contact_id"] for c in rows.values() if not c["called_at"]}
    assert never_called and never_called <= cancelled  # the rest is cancelled (a pending retry too)
    changes = [
        e["data"]["status"]
        for e in client.get("/_mock/events", headers=AUTH).json()["data"]
        if e["event"] == "batch.status.changed"
    ]
    assert changes == ["scheduled", "active", "failed"]
    assert client.delete(f"{API}/batch-calls/{batch_id}", headers=AUTH).status_code == 204
    assert client.get(f"{API}/batch-calls/{batch_id}", headers=AUTH).status_code == 404
