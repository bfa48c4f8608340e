"""Simulated time. The core never reads the wall clock directly: it asks a Clock."""

from __future__ import annotations

import time
from typing import Protocol

from .timefmt import LATEST

END = LATEST - 1.0  # a real clock stops here: later instants cannot be written as timestamps


class Clock(Protocol):
    mode: str

    def now(self) -> float:
        """Current simulated time, POSIX seconds."""
        ...


class ManualClock:
    """Moves only when told to. Time never goes backwards."""

    mode = "manual"

    def __init__(self, start: float) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance_to(self, target: float) -> None:
        if target < self._now:
            raise ValueError("the clock cannot go backwards")
        self._now = target


class RealClock:
    """Follows the wall clock from `start`, sped up by `speed` (60 = an hour a minute)."""

    mode = "real"

    def __init__(
        self, speed: float = 1.0, start: float | None = None, wall_origin: float | None = None
    ) -> None:
        """`wall_origin`: the wall-clock instant it reads `start` (default: now)."""
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._wall_origin = time.time() if wall_origin is None else wall_origin
        self._sim_origin = self._wall_origin if start is None else start

    def now(self) -> float:
        return min(END, self._sim_origin + (time.time() - self._wall_origin) * self.speed)

    def wall_time_of(self, instant: float) -> float:
        """The wall-clock moment this clock reads `instant`."""
        return self._wall_origin + (instant - self._sim_origin) / self.speed
