"""Long work done in turns, so that one tenant's large read does not hold up every other tenant.

Every workspace is served by one event loop: a handler that computes for 0.3 s delays every request
of every tenant by 0.3 s (a readiness report over 10,000 requests, a journal page of 1,000 entries
of 64 KiB each: `benchmarks/noisy_neighbour.py`). Work that grows with what a tenant stored goes
through `map_in_turns` or `run_in_turns`, which hand the loop back once a turn of `TURN_SECONDS` is
used up; requests that arrived meanwhile are answered before the work goes on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterable
from typing import TypeVar

T = TypeVar("T")
U = TypeVar("U")

TURN_SECONDS = 0.002  # the longest the loop is held before others get it back


async def map_in_turns(items: Iterable[T], convert: Callable[[T], U]) -> list[U]:
    """`[convert(item) for item in items]`, handing the event loop back between turns."""
    done: list[U] = []
    clock = time.perf_counter
    turn_ends = clock() + TURN_SECONDS
    for item in items:
        done.append(convert(item))
        if clock() > turn_ends:
            await asyncio.sleep(0)
            turn_ends = clock() + TURN_SECONDS
    return done


async def in_turns(items: Iterable[T]) -> AsyncIterator[T]:
    """The items of `items`, handing the event loop back between turns (a scan of a journal)."""
    clock = time.perf_counter
    turn_ends = clock() + TURN_SECONDS
    for item in items:
        yield item
        if clock() > turn_ends:
            await asyncio.sleep(0)
            turn_ends = clock() + TURN_SECONDS


async def run_in_turns(steps: Generator[None, None, U]) -> U:
    """The value `steps` returns, handing the event loop back between turns (a step is the most
    that runs at once: keep each short)."""
    clock = time.perf_counter
    turn_ends = clock() + TURN_SECONDS
    while True:
        try:
            next(steps)
        except StopIteration as finished:
            return finished.value  # type: ignore[no-any-return]
        if clock() > turn_ends:
            await asyncio.sleep(0)
            turn_ends = clock() + TURN_SECONDS

