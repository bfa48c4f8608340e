"""Whole-number floats in integer fields (`3.0`): JSON Schema counts them as integers, so both
dialects accept them and store and answer the integer (issue 11, defect 2)."""

from __future__ import annotations

from typing import Any

from support import API, AUTH, START, ZUDU_AUTH, CheckedClient, make_client, new_batch, new_zudu_batch

NOW_MS = round(START * 1000)
FLOATS = {"max_calls_per_day": 3.0, "max_concurrent_calls": 2.0, "max_retry_attempts": 1.0}


def assert_ints(data: dict[str, Any], expected: dict[str, Any]) -> None:
    for name, value in expected.items():
        got = data[name]
        if isinstance(value, list):
            assert got == value and all(type(v) is int for v in got), (name, got)
        else:
            assert got == value and type(got) is int, (name, got)


def test_truedy_create_patch_and_schedule_store_integers(client: CheckedClient) -> None:
    created = new_batch(client, working_days=[1.0, 2.0, 3.0, 4.0, 5.0], **FLOATS)
    assert_ints(created, {"working_days": [1, 2, 3, 4, 5], **{k: int(v) for k, v in FLOATS.items()}})
    batch_id = created["id"]
    patched = client.patch(
        f"{API}/batch-calls/{batch_id}", json={"max_calls_per_day": 4.0, "working_days": [1.0]}, headers=AUTH
    )
    assert patched.status_code == 200, patched.text
    assert_ints(patched.json()["data"], {"max_calls_per_day": 4, "working_days": [1]})
    scheduled = client.post(f"{API}/batch-calls/{batch_id}/schedule", headers=AUTH)
    assert scheduled.status_code == 200, scheduled.text
    assert client.post("/_mock/clock/advance", json={"seconds": 7 * 86400}).status_code == 200
    read = client.get(f"{API}/batch-calls/{batch_id}", headers=AUTH).json()["data"]
    assert read["completed_contacts"] > 0 and type(read["max_calls_per_day"]) is int


def test_truedy_live_edit_with_a_float_keeps_the_clock_working() -> None:
    with make_client(live_edits=True) as live:
        batch_id = new_batch(live)["id"]
        assert live.post(f"{API}/batch-calls/{batch_id}/schedule", headers=AUTH).status_code == 200
        patched = live.patch(f"{API}/batch-calls/{batch_id}", json={"max_calls_per_day": 2.0}, headers=AUTH)
        assert patched.status_code == 200, patched.text
        assert_ints(patched.json()["data"], {"max_calls_per_day": 2})
        for _ in range(3):
            advanced = live.post("/_mock/clock/advance", json={"seconds": 86400})
            assert advanced.status_code == 200, advanced.text
        assert live.get("/_mock/health").status_code == 200


def test_zudu_tasks_trigger_and_search_take_whole_number_floats(client: CheckedClient) -> None:
    batch = new_zudu_batch(
        client,
        tasks=[{"to_number": "+12137774445", "max_retries": 2.0}],
        status="scheduled",
        trigger_timestamp=float(NOW_MS + 3_600_000),
    )
    assert_ints(batch, {"scheduled_timestamp": NOW_MS + 3_600_000})
    batch_id = batch["batch_call_id"]
    tasks = client.get(f"/batch-call/{batch_id}/tasks", headers=ZUDU_AUTH).json()["data"]["tasks"]
    assert_ints(tasks[0], {"max_retries": 2})
    patched = client.patch(
        f"/batch-call/{batch_id}", json={"trigger_timestamp": float(NOW_MS + 7_200_000)}, headers=ZUDU_AUTH
    )
    assert patched.status_code == 200, patched.text
    assert_ints(patched.json()["data"], {"scheduled_timestamp": NOW_MS + 7_200_000})
    found = client.post(
        "/batch-call/list", json={"pagination": {"page": 0.0, "limit": 5.0}}, headers=ZUDU_AUTH
    )
    assert found.status_code == 200, found.text
    assert_ints(found.json()["data"]["pagination"], {"page": 0, "limit": 5})
