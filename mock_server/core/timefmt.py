"""RFC 3339 times on the wire, POSIX seconds in the core."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from mock_server.core.errors import RequestInvalid, Violation

# The calendar the planner walks ends with year 9999: later starts cannot be planned.
LATEST = datetime(9999, 1, 1, tzinfo=UTC).timestamp()
# and a clock starts no earlier than the POSIX epoch (a year-1 start overflows the planner's dates)
EARLIEST = 0.0


@lru_cache(maxsize=65536)  # the same instants recur: created_at of a batch, the clock's "now"
def timestamp(t: float | None) -> str | None:
    """RFC 3339, UTC, microseconds, Z."""
    if t is None:
        return None
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_timestamp(value: str, loc: tuple[str | int, ...]) -> float:
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
    except ValueError:
        raise RequestInvalid(
            [Violation(loc, f"'{value}' is not an RFC 3339 date-time", "datetime_parsing")]
        ) from None
    if parsed.tzinfo is None:
        raise RequestInvalid([Violation(loc, "a date-time needs a UTC offset (e.g. Z)", "timezone_aware")])
    if parsed.timestamp() >= LATEST:
        raise RequestInvalid([Violation(loc, "a date-time must be before 9999-01-01T00:00:00Z",
                                        "less_than")])
    return parsed.timestamp()


def parse_clock_start(value: str, loc: tuple[str | int, ...]) -> float:
    """A clock's start: an RFC 3339 date-time from 1970-01-01 up to the end of the calendar."""
    start = parse_timestamp(value, loc)
    if start < EARLIEST:
        raise RequestInvalid([Violation(loc, "a clock starts at 1970-01-01T00:00:00Z or later",
                                        "greater_than_equal")])
    return start
