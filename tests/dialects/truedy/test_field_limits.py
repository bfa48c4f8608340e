"""Every field limit of create and update: the value just inside is accepted, the one just outside
is a 422 HTTPValidationError naming that field."""

from __future__ import annotations

from typing import Any

import pytest
from support import API, AUTH, CheckedClient, new_batch

BASE = {"name": "Limits", "agent_id": "agt_sandbox_ready"}

# (field, accepted value, rejected value, expected error type)
LIMITS: list[tuple[str, Any, Any, str]] = [
    ("name", "x" * 255, "x" * 256, "string_too_long"),
    ("name", "x", "", "string_too_short"),
    ("max_concurrent_calls", 1, 0, "greater_than_equal"),
    ("max_concurrent_calls", 100, 101, "less_than_equal"),
    ("max_concurrent_calls", 10, "10", "int_type"),
    ("max_retry_attempts", 0, -1, "greater_than_equal"),
    ("max_retry_attempts", 3, 4, "less_than_equal"),
    ("max_calls_per_day", 1, 0, "greater_than_equal"),
    ("max_calls_per_day", 100000, 100001, "less_than_equal"),
    ("phone_number_ids", ["num_sandbox_1"], ["num_sandbox_1"] * 21, "too_long"),
    ("phone_number_ids", ["num_sandbox_2"], [""], "string_too_short"),
    ("working_days", [7], [8], "less_than_equal"),
    ("working_days", [1], [0], "greater_than_equal"),
    ("working_days", [1, 2], [], "too_short"),
    ("working_days", [1, 2], [1, 1], "unique_items"),
    ("phone_rotation_strategy", "round_robin", "shuffle", "enum"),
    ("schedule_type", "immediate", "later", "enum"),
    ("retry_failed", True, "yes", "bool_type"),
    ("timezone", "Europe/Berlin", "Mars/Olympus", "timezone_error"),
    ("timezone", "America/New_York", "", "string_too_short"),
]
# limits of fields that only create takes: (field, rejected value, expected type, loc prefix length)
CREATE_ONLY: list[tuple[str, Any, str]] = [
    ("contacts", [{"phone_number": f"+1415555{i:04d}"} for i in range(10001)], "too_long"),
    ("contact_ids", [f"ctc_{i}" for i in range(10001)], "too_long"),
    ("contacts", [{"phone_number": "+14155550100", "first_name": "x" * 101}], "string_too_long"),
    ("contacts", [{"phone_number": "+14155550100", "email": "not-an-email"}], "format_error"),
    ("contact_folder_id", "", "string_too_short"),
    ("agent_id", "", "string_too_short"),
    ("timezone", "A" * 65, "string_too_long"),
]
TIME_LIMITS: list[tuple[str, Any, str]] = [
    ("start_time", "24:00", "string_pattern_mismatch"),
    ("start_time", "9:00", "string_pattern_mismatch"),
    ("end_time", "12:60", "string_pattern_mismatch"),
]


def violation_types(response: Any, field: str) -> list[str]:
    return [d["type"] for d in response.json()["detail"] if d["loc"][:2] == ["body", field]]


@pytest.mark.parametrize(("field", "good", "bad", "error_type"), LIMITS)
def test_create_limits(client: CheckedClient, field: str, good: Any, bad: Any, error_type: str) -> None:
    accepted = client.post(f"{API}/batch-calls", json={**BASE, field: good}, headers=AUTH)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["data"][field] == good
    rejected = client.post(f"{API}/batch-calls", json={**BASE, field: bad}, headers=AUTH)
    assert rejected.status_code == 422, rejected.text
    assert error_type in violation_types(rejected, field)


@pytest.mark.parametrize(("field", "good", "bad", "error_type"), LIMITS)
def test_update_limits(client: CheckedClient, field: str, good: Any, bad: Any, error_type: str) -> None:
    batch_id = new_batch(client)["id"]
    url = f"{API}/batch-calls/{batch_id}"
    accepted = client.patch(url, json={field: good}, headers=AUTH)
    assert accepted.status_code == 200, accepted.text
    rejected = client.patch(url, json={field: bad}, headers=AUTH)
    assert rejected.status_code == 422
    assert error_type in violation_types(rejected, field)


@pytest.mark.parametrize(("field", "bad", "error_type"), CREATE_ONLY)
def test_create_only_limits(client: CheckedClient, field: str, bad: Any, error_type: str) -> None:
    rejected = client.post(f"{API}/batch-calls", json={**BASE, field: bad}, headers=AUTH)
    assert rejected.status_code == 422, rejected.text[:300]
    assert error_type in violation_types(rejected, field)


def test_inline_contacts_at_the_limit_are_accepted(client: CheckedClient) -> None:
    contacts = [{"phone_number": f"+1415555{i:04d}"} for i in range(10000)]  # ~320 KB, under 1 MiB
    accepted = client.post(f"{API}/batch-calls", json={**BASE, "contacts": contacts}, headers=AUTH)
    assert accepted.status_code == 201
    assert accepted.json()["data"]["total_contacts"] == 10000


@pytest.mark.parametrize(("field", "bad", "error_type"), TIME_LIMITS)
def test_window_times_must_be_real_clock_times(
    client: CheckedClient, field: str, bad: str, error_type: str
) -> None:
    window = {"start_time": "09:00", "end_time": "17:00", field: bad}
    rejected = client.post(f"{API}/batch-calls", json={**BASE, **window}, headers=AUTH)
    assert rejected.status_code == 422
    assert error_type in violation_types(rejected, field)


@pytest.mark.parametrize(
    ("fields", "loc", "error_type"),
    [
        ({"start_time": "09:00"}, "end_time", "missing"),
        ({"end_time": "17:00"}, "start_time", "missing"),
        ({"start_time": "17:00", "end_time": "09:00"}, "end_time", "value_error"),
        ({"start_time": "09:00", "end_time": "09:00"}, "end_time", "value_error"),
        ({"schedule_type": "scheduled"}, "scheduled_at", "missing"),
        ({"contact_source": "folder"}, "contact_folder_id", "missing"),
        ({"scheduled_at": "tomorrow"}, "scheduled_at", "format_error"),
        ({"schedule_type": "scheduled", "scheduled_at": "9999-12-31T23:59:59Z"}, "scheduled_at", "less_than"),
        ({"contacts": [{"phone_number": "0155"}]}, "contacts", "string_pattern_mismatch"),
        ({"contacts": [{"first_name": "No phone"}]}, "contacts", "missing"),
    ],
)
def test_cross_field_rules(client: CheckedClient, fields: dict[str, Any], loc: str, error_type: str) -> None:
    rejected = client.post(f"{API}/batch-calls", json={**BASE, **fields}, headers=AUTH)
    assert rejected.status_code == 422, rejected.text
    assert error_type in violation_types(rejected, loc)


def test_every_violation_is_listed_not_just_the_first(client: CheckedClient) -> None:
    body = {"name": "", "max_concurrent_calls": 0, "max_retry_attempts": 9, "working_days": [9]}
    rejected = client.post(f"{API}/batch-calls", json=body, headers=AUTH)
    locs = {tuple(d["loc"]) for d in rejected.json()["detail"]}
    assert {
        ("body", "agent_id"),
        ("body", "name"),
        ("body", "max_concurrent_calls"),
        ("body", "max_retry_attempts"),
        ("body", "working_days", 0),
    } <= locs


def test_unknown_fields_are_ignored(client: CheckedClient) -> None:
    accepted = client.post(f"{API}/batch-calls", json={**BASE, "colour": "blue"}, headers=AUTH)
    assert accepted.status_code == 201
    assert "colour" not in accepted.json()["data"]
