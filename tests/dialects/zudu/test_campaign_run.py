"""A Zudu batch call runs to completed on the simulated clock, its counters and tasks moving."""

from __future__ import annotations

from typing import Any

from support import START, ZUDU_AUTH, CheckedClient, new_zudu_batch

NOW_MS = round(START * 1000)
HOUR_MS = 3_600_000
MAGIC = [  # number, max_retries, final task status, final outcome, attempts
    ("+15550100001", 2, "failed", "voicemail", 1),  # voicemail is not retried
    ("+15550100002", 2, "failed", "no_answer", 3),  # no answer, retried twice
    ("+15550100003", 0, "failed", "failed", 1),  # busy, no retries allowed
    ("+15550100005", 1, "completed", "completed", 2),  # no answer, then answered on its retry
]


def advance(client: CheckedClient, seconds: float) -> None:
    assert client.post("/_mock/clock/advance", json={"seconds": seconds}).status_code == 200


def counters(client: CheckedClient, batch_id: str) -> dict[str, Any]:
    data: dict[str, Any] = client.get(f"/batch-call/{batch_id}", headers=ZUDU_AUTH).json()["data"]
    return data


def test_a_sent_batch_runs_to_completed(client: CheckedClient) -> None:
    tasks = [{"to_number": n, "max_retries": r} for n, r, *_ in MAGIC]
    tasks += [{"to_number": f"+1415555{n:04d}", "max_retries": 1} for n in range(20)]  # seeded outcomes
    batch = new_zudu_batch(client, tasks=tasks, send_now=True)
    batch_id = batch["batch_call_id"]
    assert (batch["status"], batch["sent"], batch["total"]) == ("sent", 10, 24)  # 10 lines at once
    seen = [batch]
    for _ in range(12):
        advance(client, 900)
        seen.append(counters(client, batch_id))
    final = seen[-1]
    assert final["status"] == "completed"
    assert final["completed"] == final["total"] == final["sent"] == 24
    assert 0 < final["picked_up"] < 24
    for before, after in zip(seen, seen[1:], strict=False):  # counters only move forward
        for key in ("sent", "picked_up", "completed"):
            assert before[key] <= after[key], key
        assert after["picked_up"] <= after["completed"] <= after["total"]
        assert after["picked_up"] <= after["sent"] <= after["total"]
    assert any(0 < s["completed"] < 24 for s in seen)  # seen mid-way
    statuses = [s["status"] for s in seen]
    assert statuses.index("completed") > 0 and set(statuses) == {"sent", "completed"}
    assert final["last_sent_timestamp"] > NOW_MS
    # each task ended as its number says
    listed = client.get(f"/batch-call/{batch_id}/tasks", headers=ZUDU_AUTH).json()["data"]["tasks"]
    by_number = {t["to_number"]: t for t in listed}
    for number, _, status, outcome, attempts in MAGIC:
        task = by_number[number]
        assert (task["status"], task["outcome"], task["attempts"]) == (status, outcome, attempts), number
    assert by_number["+15550100003"]["error_message"] == "line busy"
    assert by_number["+15550100002"]["error_message"] == "no answer"
    assert sum(t["status"] == "completed" for t in listed) == final["picked_up"]
    # a completed batch can be deleted
    assert client.delete(f"/batch-call/{batch_id}", headers=ZUDU_AUTH).status_code == 200


def test_a_scheduled_batch_starts_at_its_trigger(client: CheckedClient) -> None:
    batch = new_zudu_batch(client, status="scheduled", trigger_timestamp=NOW_MS + HOUR_MS)
    batch_id = batch["batch_call_id"]
    advance(client, 3599)
    assert counters(client, batch_id)["status"] == "scheduled"
    advance(client, 1)
    data = counters(client, batch_id)
    assert (data["status"], data["sent"], data["last_sent_timestamp"]) == ("sent", 2, NOW_MS + HOUR_MS)
    tasks = client.get(f"/batch-call/{batch_id}/tasks", headers=ZUDU_AUTH).json()["data"]["tasks"]
    assert {t["status"] for t in tasks} == {"calling"}
    advance(client, 2 * 3600)
    assert counters(client, batch_id)["status"] == "completed"


def test_the_event_log_follows_a_zudu_batch(client: CheckedClient) -> None:
    batch_id = new_zudu_batch(client, send_now=True)["batch_call_id"]
    advance(client, 2 * 3600)
    events = client.get("/_mock/events", headers=ZUDU_AUTH).json()["data"]
    mine = [e for e in events if e["data"].get("batch_id") == batch_id]
    kinds = [e["event"] for e in mine]
    assert kinds[0] == "batch.status.changed" and "batch.completed" in kinds
    assert kinds.count("call.started") >= 2
