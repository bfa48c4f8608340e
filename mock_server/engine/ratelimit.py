"""Per-workspace request limit, a fixed window on the wall clock (off unless configured)."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from mock_server.core.errors import RateLimited
from mock_server.core.timefmt import timestamp

_PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}
_SPEC = re.compile(r"^\s*(\d+)\s*/\s*([a-z]+)\s*$")


@dataclass(frozen=True, slots=True)
class Limit:
    requests: int
    period_seconds: int

    @property
    def period_name(self) -> str:
        return {1: "second", 60: "minute", 3600: "hour"}[self.period_seconds]

    @classmethod
    def parse(cls, text: str) -> Limit:
        """`100/min`, `5/s`, `1000/hour`."""
        match = _SPEC.match(text.lower())
        if not match or match.group(2) not in _PERIODS or int(match.group(1)) < 1:
            raise ValueError(f"'{text}' is not a rate limit like 100/min, 5/s or 1000/hour")
        return cls(int(match.group(1)), _PERIODS[match.group(2)])


class RateLimiter:
    def __init__(self, limit: Limit, clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self._clock = clock
        self._windows: dict[str, tuple[int, int]] = {}  # key -> (window index, requests in it)

    def hit(self, key: str) -> None:
        """Count one request of `key`; raise RateLimited past the limit of the current window."""
        now = self._clock()
        window = int(now // self.limit.period_seconds)
        current, count = self._windows.get(key, (window, 0))
        if current != window:
            count = 0
        self._refuse_past(count + 1, now)
        self._windows[key] = (window, count + 1)

    def check(self, count: int) -> None:
        """Refuse the request that is number `count` of its window, when that is past the limit
        (the count was kept elsewhere: by PostgreSQL, for every instance of a shared sandbox)."""
        self._refuse_past(count, self._clock())

    def _refuse_past(self, count: int, now: float) -> None:
        if count <= self.limit.requests:
            return
        period = self.limit.period_seconds
        reset = (int(now // period) + 1) * period
        raise RateLimited(self.limit.requests, self.limit.period_name, timestamp(reset) or "",
                          max(1, math.ceil(reset - now)))

    def clear(self) -> None:
        self._windows.clear()
