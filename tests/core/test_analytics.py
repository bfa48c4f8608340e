from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from mock_server.core.analytics import batch_analytics
from mock_server.core.dispatcher import Dispatcher
from mock_server.core.events import DomainEvent
from mock_server.core.ids import IdFactory
from mock_server.core.models import Batch, BatchContact, BatchSettings, PhoneNumber
from mock_server.core.outcomes import SimulationConfig

NY = ZoneInfo("America/New_York")
START = datetime(2026, 3, 2, 8, 0, tzinfo=NY).timestamp()  # Monday 08:00 New York
NUMBER = PhoneNumber("num_1", "+14155550001", "line", "agt_1", 0.0)
KEYS = {
    "batch_call_id",
    "status",
    "total_contacts",
    "completed_contacts",
    "successful_contacts",
    "failed_contacts",
    "voicemail_contacts",
    "no_answer_contacts",
    "cancelled_contacts",
    "pending_contacts",
    "success_rate",
    "calls_placed",
    "total_duration_seconds",
    "average_duration_seconds",
    "total_minutes",
    "total_cost_usd",
    "by_day",
}
DAY_KEYS = {
    "date",
    "calls_placed",
    "successful",
    "failed",
    "voicemail",
    "no_answer",
    "duration_seconds",
    "cost_usd",
}


def make_batch(phones: list[str], **kw: Any) -> Batch:
    s = BatchSettings(name="t", agent_id="agt_1", timezone="America/New_York", **kw)
    return Batch(
        "batch_1",
        "ws_1",
        s,
        "draft",
        START,
        START,
        [BatchContact(f"ctc_{i}", p) for i, p in enumerate(phones)],
    )


def dispatcher(events: list[DomainEvent] | None = None) -> Dispatcher:
    sink = (events if events is not None else []).append
    return Dispatcher(seed=11, config=SimulationConfig(), emit=sink, ids=IdFactory(11))


def test_a_draft_batch_has_empty_analytics() -> None:
    a = batch_analytics(make_batch(["+12025550100"] * 3))
    assert set(a) == KEYS
    assert a["pending_contacts"] == 3 and a["success_rate"] == 0.0 and a["by_day"] == []
    assert (a["average_duration_seconds"], a["total_minutes"], a["total_cost_usd"]) == (0, 0.0, 0.0)


def test_totals_match_the_contacts_and_days_are_local() -> None:
    # 19:00–23:00 New York is 00:00–04:00 UTC the next day: days must be New York's
    b = make_batch(
        ["+12025550100"] * 30 + ["+15550100001", "+15550100002", "+15550100003", "+15550100005"],
        start_time="19:00",
        end_time="23:00",
        max_concurrent_calls=3,
        max_calls_per_day=20,
        retry_failed=True,
        max_retry_attempts=1,
    )
    d = dispatcher()
    d.schedule(b, [NUMBER], START, START)
    d.run_until(START + 7 * 86400)
    a = batch_analytics(b)
    assert b.status == "completed"
    assert set(a) == KEYS and all(set(day) == DAY_KEYS for day in a["by_day"])
    dates = [day["date"] for day in a["by_day"]]
    assert dates[0] == "2026-03-02" and dates == sorted(dates) and len(dates) >= 2  # 20 a day
    assert a["total_contacts"] == 34 and a["pending_contacts"] == 0
    assert a["completed_contacts"] == a["successful_contacts"] + a["failed_contacts"] == 34
    assert a["voicemail_contacts"] >= 1 and a["no_answer_contacts"] >= 1
    assert a["success_rate"] == round(a["successful_contacts"] / 34, 4)
    assert (
        a["calls_placed"]
        == sum(c.attempts for c in b.contacts)
        == sum(x["calls_placed"] for x in a["by_day"])
    )
    assert a["total_duration_seconds"] == sum(x["duration_seconds"] for x in a["by_day"])
    assert a["average_duration_seconds"] == round(a["total_duration_seconds"] / a["calls_placed"])
    assert a["total_minutes"] == round(a["total_duration_seconds"] / 60, 2)
    assert a["total_cost_usd"] == pytest.approx(sum(c.cost_usd for c in b.contacts), abs=1e-4)
    assert a["total_cost_usd"] == pytest.approx(sum(x["cost_usd"] for x in a["by_day"]), abs=1e-3)
    assert (
        sum(x["successful"] for x in a["by_day"]) == a["successful_contacts"]
    )  # no retry ends completed twice
    for x in a["by_day"]:
        assert x["calls_placed"] == x["successful"] + x["failed"]
        assert x["failed"] >= x["voicemail"] + x["no_answer"]


def test_in_progress_and_cancelled_contacts() -> None:
    b = make_batch(["+12025550100"] * 10, max_concurrent_calls=2)
    d = dispatcher()
    d.schedule(b, [NUMBER], START, START)
    d.run_until(START)
    a = batch_analytics(b)
    assert (a["calls_placed"], a["average_duration_seconds"], a["pending_contacts"]) == (2, 0, 10)
    d.cancel(b, START)
    d.run_until(START + 3600)
    a = batch_analytics(b)
    assert (a["status"], a["cancelled_contacts"], a["completed_contacts"], a["pending_contacts"]) == (
        "cancelled",
        8,
        2,
        0,
    )
    assert a["by_day"][0]["date"] == "2026-03-02" and a["by_day"][0]["calls_placed"] == 2
