"""The contact planner: calling windows in the batch's time zone, and when each contact may be dialled.

A batch calls on its working days (1 = Monday … 7 = Sunday), inside `[start_time, end_time)` local
time (no window: the whole local day), at most `max_calls_per_day` dials a local day. Windows are
computed once per local day and cached, so planning 100k contacts costs a few zone conversions per
day, not one per contact.

DST: a local time that does not exist (spring forward) resolves to the first instant after the
gap (02:30 → 03:00 on a 02:00→03:00 jump); an ambiguous one (fall back) takes the first occurrence.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from .models import BatchSettings

# A window is searched for at most this many local days ahead; with at least one working day a
# window exists within a week unless DST swallowed it whole, which only happens to one day.
_SEARCH_DAYS = 15


class Window(NamedTuple):
    """One working day's calling window, as POSIX seconds. `day` is the local date's ordinal."""

    day: int
    date: str
    open: float
    close: float


def parse_clock(value: str) -> time:
    """`HH:MM` (seconds tolerated) as a time of day."""
    hour, minute, *rest = (int(p) for p in value.split(":"))
    return time(hour, minute, rest[0] if rest else 0)


def resolve_local(local: datetime, tz: ZoneInfo) -> float:
    """POSIX seconds of naive local `local` in `tz`: a DST gap moves forward, a fold takes fold=0."""
    first = local.replace(tzinfo=tz, fold=0).timestamp()
    if datetime.fromtimestamp(first, tz).replace(tzinfo=None) == local:
        return first  # exists; fold=0 is the first occurrence when ambiguous
    # In a gap, fold=0 and fold=1 map to the instants either side of the transition; the first
    # valid instant after the gap is the smallest one whose wall time is not before `local`.
    other = local.replace(tzinfo=tz, fold=1).timestamp()
    lo, hi = int(min(first, other)), int(max(first, other)) + 1
    while lo < hi:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).replace(tzinfo=None) < local:
            lo = mid + 1
        else:
            hi = mid
    return float(lo)


class CallingCalendar:
    """The calling windows of one set of batch settings; caches one window per local day."""

    __slots__ = ("tz", "working_days", "cap", "_open", "_close", "_days", "_hint")

    def __init__(self, settings: BatchSettings) -> None:
        if not settings.working_days:
            raise ValueError("a batch needs at least one working day")
        self.tz = ZoneInfo(settings.timezone)
        self.working_days = frozenset(settings.working_days)
        self.cap = settings.max_calls_per_day
        if self.cap is not None and self.cap < 1:
            raise ValueError("max_calls_per_day must be at least 1")
        self._open = parse_clock(settings.start_time) if settings.start_time else None
        self._close = parse_clock(settings.end_time) if settings.end_time else None
        self._days: dict[int, Window | None] = {}
        # (t, w): for every query in [t, w.close) the next window is w (windows are disjoint).
        self._hint: tuple[float, Window] | None = None

    def local_day(self, t: float) -> int:
        """Ordinal of the local date at instant `t` (the key of the daily cap)."""
        return datetime.fromtimestamp(t, self.tz).toordinal()

    def day_window(self, day: int) -> Window | None:
        """The window of local date ordinal `day`, or None (not a working day, or DST ate it)."""
        try:
            return self._days[day]
        except KeyError:
            pass
        d = date.fromordinal(day)
        window: Window | None = None
        if d.isoweekday() in self.working_days:
            start = datetime.combine(d, self._open or time(0))
            opens = resolve_local(start, self.tz)
            if self._close is not None:
                closes = resolve_local(datetime.combine(d, self._close), self.tz)
            else:
                closes = resolve_local(datetime.combine(d + timedelta(days=1), time(0)), self.tz)
            if closes > opens:
                window = Window(day, d.isoformat(), opens, closes)
        self._days[day] = window
        return window

    def next_window(self, t: float) -> Window:
        """The first window that has not closed at `t` (it may be open already, or later)."""
        hint = self._hint
        if hint is not None and hint[0] <= t < hint[1].close:
            return hint[1]
        day = self.local_day(t)
        for offset in range(_SEARCH_DAYS):
            w = self.day_window(day + offset)
            if w is not None and w.close > t:
                self._hint = (t, w)
                return w
        raise ValueError("no calling window in the next two weeks")

    def next_window_start(self, t: float) -> float:
        """The earliest instant >= `t` inside a window (`t` itself when a window is open)."""
        w = self.next_window(t)
        return w.open if w.open > t else t


def plan_slots(
    calendar: CallingCalendar,
    count: int,
    start: float,
    dialled_per_day: Mapping[int, int] | None = None,
) -> list[tuple[float, int]]:
    """Runs of `(earliest moment, how many contacts)` for `count` contacts in order from `start`.

    Each window takes at most the daily cap, less what `dialled_per_day` (local-day ordinal →
    dials) says that day has already used.
    """
    used = dialled_per_day or {}
    cap = calendar.cap
    runs: list[tuple[float, int]] = []
    t = start
    remaining = count
    while remaining > 0:
        w = calendar.next_window(t)
        at = w.open if w.open > t else t
        free = remaining if cap is None else min(remaining, cap - used.get(w.day, 0))
        if free > 0:
            runs.append((at, free))
            remaining -= free
        t = w.close
    return runs
