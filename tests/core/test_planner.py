from __future__ import annotations

from datetime import date, datetime
from datetime import time as clock
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_server.core.models import BatchContact, BatchSettings
from mock_server.core.planner import CallingCalendar, plan_slots, resolve_local

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
EVERY_DAY = [1, 2, 3, 4, 5, 6, 7]


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> float:
    return datetime(y, mo, d, h, mi, tzinfo=ZoneInfo("UTC")).timestamp()


def window_at(settings: BatchSettings, t: float) -> tuple[float, float] | None:
    """`(open, close)` of the window open at `t`, or None."""
    w = CallingCalendar(settings).next_window(t)
    return (w.open, w.close) if w.open <= t else None


def next_window_start(settings: BatchSettings, t: float) -> float:
    return CallingCalendar(settings).next_window_start(t)


def local_day(settings: BatchSettings, t: float) -> int:
    return CallingCalendar(settings).local_day(t)


def plan_contacts(settings: BatchSettings, contacts: list[BatchContact], start: float) -> None:
    """Each contact's `scheduled_at` from the runs `plan_slots` gives, in order (as a batch run uses them)."""
    i = 0
    for at, n in plan_slots(CallingCalendar(settings), len(contacts), start):
        for c in contacts[i : i + n]:
            c.scheduled_at = at
        i += n


def make_settings(**kw: object) -> BatchSettings:
    return BatchSettings(name="t", agent_id="agt_1", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("zone", "local", "expected"),
    [
        # spring forward: 02:00 → 03:00; 02:30 does not exist and moves to 03:00 local
        ("America/New_York", datetime(2026, 3, 8, 2, 30), utc(2026, 3, 8, 7, 0)),
        ("America/New_York", datetime(2026, 3, 8, 2, 0), utc(2026, 3, 8, 7, 0)),
        ("America/New_York", datetime(2026, 3, 8, 3, 0), utc(2026, 3, 8, 7, 0)),
        ("America/New_York", datetime(2026, 3, 8, 1, 59), utc(2026, 3, 8, 6, 59)),
        # fall back: 01:30 happens twice; the first (EDT) wins
        ("America/New_York", datetime(2026, 11, 1, 1, 30), utc(2026, 11, 1, 5, 30)),
        ("America/New_York", datetime(2026, 11, 1, 2, 0), utc(2026, 11, 1, 7, 0)),
        ("Europe/Berlin", datetime(2026, 3, 29, 2, 30), utc(2026, 3, 29, 1, 0)),
        ("Europe/Berlin", datetime(2026, 10, 25, 2, 30), utc(2026, 10, 25, 0, 30)),
        ("Europe/Berlin", datetime(2026, 10, 25, 3, 0), utc(2026, 10, 25, 2, 0)),
        # a 30-minute DST jump (02:00 → 02:30)
        ("Australia/Lord_Howe", datetime(2026, 10, 4, 2, 10), utc(2026, 10, 3, 15, 30)),
    ],
)
def test_resolve_local_handles_gaps_and_folds(zone: str, local: datetime, expected: float) -> None:
    assert resolve_local(local, ZoneInfo(zone)) == expected


@pytest.mark.parametrize(
    ("zone", "day", "start", "end", "opens", "closes"),
    [
        # window 01:30–03:30 cut by the spring-forward jump: one real hour
        (
            "America/New_York",
            date(2026, 3, 8),
            "01:30",
            "03:30",
            utc(2026, 3, 8, 6, 30),
            utc(2026, 3, 8, 7, 30),
        ),
        (
            "Europe/Berlin",
            date(2026, 3, 29),
            "01:30",
            "03:30",
            utc(2026, 3, 29, 0, 30),
            utc(2026, 3, 29, 1, 30),
        ),
        # 02:30–04:00 opens when the gap ends
        (
            "America/New_York",
            date(2026, 3, 8),
            "02:30",
            "04:00",
            utc(2026, 3, 8, 7, 0),
            utc(2026, 3, 8, 8, 0),
        ),
        # window 01:00–02:00 on fall-back day: two real hours
        (
            "America/New_York",
            date(2026, 11, 1),
            "01:00",
            "02:00",
            utc(2026, 11, 1, 5, 0),
            utc(2026, 11, 1, 7, 0),
        ),
        (
            "Europe/Berlin",
            date(2026, 10, 25),
            "02:00",
            "03:00",
            utc(2026, 10, 25, 0, 0),
            utc(2026, 10, 25, 2, 0),
        ),
        # whole day: 23 h on spring-forward day, 25 h on fall-back day
        ("America/New_York", date(2026, 3, 8), None, None, utc(2026, 3, 8, 5, 0), utc(2026, 3, 9, 4, 0)),
        ("America/New_York", date(2026, 11, 1), None, None, utc(2026, 11, 1, 4, 0), utc(2026, 11, 2, 5, 0)),
        ("Europe/Berlin", date(2026, 3, 29), None, None, utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 22, 0)),
        ("Europe/Berlin", date(2026, 10, 25), None, None, utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 23, 0)),
    ],
)
def test_windows_on_dst_days(
    zone: str, day: date, start: str | None, end: str | None, opens: float, closes: float
) -> None:
    cal = CallingCalendar(
        make_settings(timezone=zone, start_time=start, end_time=end, working_days=EVERY_DAY)
    )
    w = cal.day_window(day.toordinal())
    assert w is not None
    assert (w.open, w.close, w.date) == (opens, closes, day.isoformat())


def test_window_swallowed_by_the_gap_skips_the_day() -> None:
    s = make_settings(
        timezone="America/New_York", start_time="02:10", end_time="02:50", working_days=EVERY_DAY
    )
    cal = CallingCalendar(s)
    assert cal.day_window(date(2026, 3, 8).toordinal()) is None
    # the day after, 02:10 EDT = 06:10 UTC
    assert next_window_start(s, utc(2026, 3, 8, 0, 0)) == utc(2026, 3, 9, 6, 10)


def test_helpers_window_at_next_window_start_local_day() -> None:
    s = make_settings(timezone="America/New_York", start_time="09:00", end_time="17:00")
    monday_10 = utc(2026, 3, 2, 15, 0)  # 10:00 EST
    assert window_at(s, monday_10) == (utc(2026, 3, 2, 14, 0), utc(2026, 3, 2, 22, 0))
    assert next_window_start(s, monday_10) == monday_10
    # Friday 17:00 is closed ([start, end)); next is Monday 09:00 EST
    friday_17 = utc(2026, 3, 6, 22, 0)
    assert window_at(s, friday_17) is None
    assert next_window_start(s, friday_17) == utc(2026, 3, 9, 13, 0)  # Monday after DST: 09:00 EDT
    # 03:00 UTC Tuesday is still Monday evening in New York
    assert local_day(s, utc(2026, 3, 3, 3, 0)) == date(2026, 3, 2).toordinal()


def test_plan_respects_daily_cap_and_working_days() -> None:
    s = make_settings(timezone="UTC", start_time="09:00", end_time="17:00", max_calls_per_day=2)
    contacts = [BatchContact(f"c{i}", f"+1202555000{i}") for i in range(5)]
    plan_contacts(s, contacts, utc(2026, 3, 6, 10, 0))  # Friday 10:00
    assert [c.scheduled_at for c in contacts] == [
        utc(2026, 3, 6, 10, 0),
        utc(2026, 3, 6, 10, 0),
        utc(2026, 3, 9, 9, 0),
        utc(2026, 3, 9, 9, 0),
        utc(2026, 3, 10, 9, 0),
    ]


def test_plan_counts_dials_already_made_that_day() -> None:
    s = make_settings(timezone="UTC", start_time="09:00", end_time="17:00", max_calls_per_day=3)
    cal = CallingCalendar(s)
    friday = date(2026, 3, 6).toordinal()
    slots = plan_slots(cal, 4, utc(2026, 3, 6, 12, 0), {friday: 2})
    assert slots == [(utc(2026, 3, 6, 12, 0), 1), (utc(2026, 3, 9, 9, 0), 3)]
    assert plan_slots(cal, 2, utc(2026, 3, 6, 12, 0), {friday: 5}) == [(utc(2026, 3, 9, 9, 0), 2)]


def test_plan_without_cap_puts_everyone_at_the_first_moment() -> None:
    s = make_settings(timezone="Europe/Berlin", start_time="09:00", end_time="17:00")
    contacts = [BatchContact(f"c{i}", "+12025550000") for i in range(3)]
    plan_contacts(s, contacts, utc(2026, 3, 7, 12, 0))  # Saturday
    assert {c.scheduled_at for c in contacts} == {utc(2026, 3, 9, 8, 0)}


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        CallingCalendar(make_settings(working_days=[]))
    with pytest.raises(ValueError):
        CallingCalendar(make_settings(max_calls_per_day=0))


def test_100k_contacts_spread_over_working_days_by_the_cap() -> None:
    s = make_settings(
        timezone="America/New_York", start_time="09:00", end_time="17:00", max_calls_per_day=5000
    )
    contacts = [BatchContact(f"c{i}", "+12025550000") for i in range(100_000)]
    plan_contacts(s, contacts, utc(2026, 3, 2, 12, 0))
    per_day: dict[int, int] = {}
    for contact in contacts:
        assert contact.scheduled_at is not None
        day = local_day(s, contact.scheduled_at)
        per_day[day] = per_day.get(day, 0) + 1
    assert set(per_day.values()) == {5000} and len(per_day) == 20  # 20 working days, 5000 each
    assert all(date.fromordinal(day).isoweekday() <= 5 for day in per_day)


ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata"]
DST_DAYS = [datetime(2026, 3, 7), datetime(2026, 3, 28), datetime(2026, 10, 24), datetime(2026, 10, 31)]


@st.composite
def calendars(draw: st.DrawFn) -> BatchSettings:
    window: tuple[str | None, str | None] = (None, None)
    if draw(st.booleans()):
        a = draw(st.integers(0, 24 * 60 - 2))
        b = draw(st.integers(a + 1, 24 * 60 - 1))
        window = (f"{a // 60:02d}:{a % 60:02d}", f"{b // 60:02d}:{b % 60:02d}")
    return make_settings(
        timezone=draw(st.sampled_from(ZONES)),
        start_time=window[0],
        end_time=window[1],
        working_days=sorted(draw(st.sets(st.integers(1, 7), min_size=1))),
        max_calls_per_day=draw(st.none() | st.integers(1, 5)),
    )


@settings(max_examples=50, deadline=None)
@given(s=calendars(), day=st.sampled_from(DST_DAYS), offset=st.integers(0, 4 * 86400), n=st.integers(1, 30))
def test_plan_lands_in_windows_in_order_under_the_cap(
    s: BatchSettings, day: datetime, offset: int, n: int
) -> None:
    start = day.replace(tzinfo=ZoneInfo("UTC")).timestamp() + offset
    contacts = [BatchContact(f"c{i}", "+12025550000") for i in range(n)]
    plan_contacts(s, contacts, start)
    times = [c.scheduled_at for c in contacts]
    assert all(t is not None for t in times)
    ts = [t for t in times if t is not None]
    assert ts == sorted(ts) and ts[0] >= start
    tz = ZoneInfo(s.timezone)
    per_day: dict[date, int] = {}
    for t in ts:
        assert window_at(s, t) is not None
        local = datetime.fromtimestamp(t, tz)
        assert local.isoweekday() in s.working_days
        if s.start_time and s.end_time:
            lo, hi = clock.fromisoformat(s.start_time), clock.fromisoformat(s.end_time)
            assert lo <= local.time().replace(fold=0) < hi
        per_day[local.date()] = per_day.get(local.date(), 0) + 1
    if s.max_calls_per_day is not None:
        assert max(per_day.values()) <= s.max_calls_per_day
    # earliest: the first contact goes at the first open instant at or after the start
    first = next_window_start(s, start)
    assert ts[0] == first
