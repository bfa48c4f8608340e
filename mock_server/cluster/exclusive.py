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

    @contextlib.asynccontextmanager
    async def shared(self) -> AsyncIterator[None]:
        if self._writing or self._writers_waiting:
            async with self._changed:
                await self._changed.wait_for(lambda: not self._writing and not self._writers_waiting)
        self._readers += 1
        try:
            yield
        finally:
            self._readers -= 1
            if not self._readers and self._writers_waiting:
                async with self._changed:
                    self._changed.notify_all()

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
