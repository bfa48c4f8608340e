"""When real-clock worlds next have something to do, on the wall clock: one heap for the sandbox.

A world is (re)noted whenever its next due event may have moved (a write, a clock move, a run of
the simulation). The pump sleeps until the earliest wall-clock moment any world needs it, so a
thousand idle worlds cost nothing: no timer and no polling per workspace. Entries are never removed
from the heap; an entry whose time is no longer the world's current one is skipped when popped.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from mock_server.core.clock import Clock, RealClock

log = logging.getLogger("batchcalls.sandbox")


class Wakeable(Protocol):
    @property
    def id(self) -> str: ...

    clock: Clock

    def next_due(self) -> float | None: ...

    def catch_up(self) -> None: ...


class WakeSchedule:
    def __init__(self) -> None:
        self._heap: list[tuple[float, str]] = []
        self._due: dict[str, float] = {}  # world id -> the wall-clock moment it wants the pump
        self._worlds: dict[str, Wakeable] = {}
        self.changed = asyncio.Event()

    def clear(self) -> None:
        self._heap.clear()
        self._due.clear()
        self._worlds.clear()

    def note(self, world: Wakeable) -> None:
        """Remember when `world` next needs running (nothing, for a manual clock or an idle world)."""
        clock = world.clock
        due = world.next_due() if isinstance(clock, RealClock) else None
        if due is None or not isinstance(clock, RealClock):
            self._due.pop(world.id, None)
            self._worlds.pop(world.id, None)
            return
        wall = clock.wall_time_of(due)
        if self._due.get(world.id) == wall:
            return
        self._due[world.id] = wall
        self._worlds[world.id] = world
        earliest = self._heap[0][0] if self._heap else None
        heapq.heappush(self._heap, (wall, world.id))
        if earliest is None or wall < earliest:
            self.changed.set()

    def forget(self, world_id: str) -> None:
        """The world is gone (its workspace deleted): its heap entries are skipped when popped."""
        self._due.pop(world_id, None)
        self._worlds.pop(world_id, None)

    def pop_due(self, now: float) -> list[Wakeable]:
        """The worlds whose moment has come (each once), forgotten until noted again."""
        found: list[Wakeable] = []
        heap = self._heap
        while heap and heap[0][0] <= now:
            wall, world_id = heapq.heappop(heap)
            if self._due.get(world_id) != wall:
                continue  # superseded
            del self._due[world_id]
            found.append(self._worlds.pop(world_id))
        return found

    def seconds_to_next(self, now: float) -> float | None:
        heap = self._heap
        while heap and self._due.get(heap[0][1]) != heap[0][0]:
            heapq.heappop(heap)
        return max(0.0, heap[0][0] - now) if heap else None

    def __len__(self) -> int:
        return len(self._due)


async def pump(
    schedule: WakeSchedule,
    idle_seconds: float = 60.0,
    run: Callable[[Wakeable], Awaitable[None]] | None = None,
) -> None:
    """Real clocks: run each world's due calls as they fall due, so events and webhooks flow with
    no request driving them. Sleeps until the earliest due moment of any world. `run` replaces the
    plain `catch_up` where running a world takes more (the shared log's lock, with PostgreSQL)."""
    while True:
        for world in schedule.pop_due(time.time()):
            try:
                if run is None:
                    world.catch_up()
                else:
                    await run(world)
            except Exception:  # a bug in one world must not stop the others' simulation
                log.exception("simulation of workspace %s failed", world.id)
            schedule.note(world)
        wait = schedule.seconds_to_next(time.time())
        schedule.changed.clear()
        try:
            await asyncio.wait_for(schedule.changed.wait(), timeout=idle_seconds if wait is None else wait)
        except TimeoutError:
            pass
