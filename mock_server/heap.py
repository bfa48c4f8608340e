"""The garbage collector's policy for a server whose state only grows: pauses that do not grow with it.

With CPython's defaults, each object that survives is traversed again by every collection of the
generations it passes through, and full collections walk the whole heap: a load test's growing
state (batches, contacts, idempotency records, journal entries) made pauses of 30 to 90 ms and a
create run's p99 grew with it (docs/performance.md). So, once the start-up heap is built, it is
frozen (`gc.freeze()`: out of every collection), and so is what survives each young collection:
an object is traversed once, young, then never again. Young collections are kept small
(YOUNG_THRESHOLD allocations), so that each pause is short.

What freezing gives up is finding cycles that become garbage once frozen (a reset world, a request's
task in flight at the time). They are not lost: once the frozen heap has doubled since the last full
collection, everything is unfrozen and collected once (a pause that grows with the heap, but at
doublings only: a handful in a load test), and what survives is frozen again. Memory is bounded by
twice what a full collection would leave.
"""

from __future__ import annotations

import gc
import threading
from typing import Any

YOUNG_THRESHOLD = 10_000  # allocations (net of deallocations) between young collections
FULL_GROWTH = 2  # a full collection once the frozen heap is this many times what the last one left


class HeapPolicy:
    """Installed once per process (`install`): freezes survivors, and collects everything at doublings."""

    def __init__(self) -> None:
        self.after_full = 0  # objects frozen when the last full collection ended
        self.frozen = 0  # objects frozen (counted as they are, not by a walk of the heap)
        self.full_collections = 0
        self._due = False  # a full collection is on its way
        self._collecting = threading.Lock()

    def install(self) -> None:
        self._collect_all()
        gc.set_threshold(YOUNG_THRESHOLD, 10, 100)
        if self._after_collection not in gc.callbacks:
            gc.callbacks.append(self._after_collection)

    def _after_collection(self, phase: str, info: dict[str, Any]) -> None:
        if phase != "stop" or self._due or self._collecting.locked():
            return
        # what survived joins the frozen heap (every collection froze the rest: gens 1 and 2 hold
        # only this one's survivors, so counting them is cheap)
        self.frozen += len(gc.get_objects(1)) + len(gc.get_objects(2))
        gc.freeze()
        if self.frozen > FULL_GROWTH * self.after_full:
            # a collection cannot start inside the collector's callback: a thread runs it as soon as
            # this allocation returns
            self._due = True
            threading.Thread(target=self._collect_all, name="full-collection", daemon=True).start()

    def _collect_all(self) -> None:
        with self._collecting:
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            self.after_full = self.frozen = gc.get_freeze_count()
            self.full_collections += 1
            self._due = False


POLICY = HeapPolicy()


def install() -> None:
    """The policy of this process (for `serve`, and benchmarks measuring what `serve` runs)."""
    POLICY.install()
