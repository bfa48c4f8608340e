"""One process's lock between ordinary requests (shared) and a reset of everything (exclusive).

A reset of everything replaces this process's copy of every world before its row is committed;
until then another request of the process catching up a world would read the old generation's rows
into a new world. So a reset waits for the requests inside to finish and keeps new ones out until it
is committed. A waiting reset goes first: a stream of reads cannot starve it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class SharedExclusiveLock:
    def __init__(self) -> None:
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0
        self._changed = asyncio.Condition()

    def shared(self) -> _Shared:
        return _Shared(self)

    @contextlib.asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        async with self._changed:
            self._writers_waiting += 1
            try:
                await self._changed.wait_for(lambda: not self._writing and not self._readers)
            finally:
                self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            async with self._changed:
                self._writing = False
                self._changed.notify_all()


class _Shared:
    """`SharedExclusiveLock.shared()`: taken at every request, so a plain object rather than a
    generator's context manager (about a microsecond a request less)."""

    __slots__ = ("lock",)

    def __init__(self, lock: SharedExclusiveLock) -> None:
        self.lock = lock

    async def __aenter__(self) -> None:
        lock = self.lock
        if lock._writing or lock._writers_waiting:
            async with lock._changed:
                await lock._changed.wait_for(lambda: not lock._writing and not lock._writers_waiting)
        lock._readers += 1

    async def __aexit__(self, *exc: object) -> None:
        lock = self.lock
        lock._readers -= 1
        if not lock._readers and lock._writers_waiting:
            async with lock._changed:
                lock._changed.notify_all()
