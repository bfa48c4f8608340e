"""The garbage collector's policy for a server whose state only grows: pauses that do not grow with it.

With CPython's defaults, each object that survives is traversed again by every collection of the
generations it passes through, and full collections walk the whole heap: a load test's growing
state (batches, contacts, idempotency records, journal entries) made pauses of 30 to 90 ms, and a
create run's p99 grew with it (docs/performance.md). So, once the start-up heap is built, it is
frozen (`gc.freeze()`: out of every collection), and so is what survives each young collection:
an object is traversed once, young, then never again. Young collections are kept small (`young`
allocations), so that each pause is short.

Freezing does not keep anything alive: an object whose last reference goes is freed as ever. What
it gives up is finding reference cycles that become garbage once frozen (a reset world, a request in
flight at the time). They are not lost: once `growth` times what the last full collection left has
been frozen since, everything is unfrozen and collected once (a pause that grows with the heap, but
rare: a handful in a load test), and what survives is frozen again. What grows is the frozen heap
as it is, not what was ever frozen: survivors that died since (journal entries the journal dropped)
do not count.

Examining even a young generation is not cheap once the heap is large: its objects lie wherever
freed blocks were reused, all over the heap, and touching each is a cache miss (a young collection
of 16,000 objects took 1.5 ms at 100,000 objects in the heap, 4 to 11 ms at 400,000; counting them
with `gc.get_objects` as much). A create run leaves no garbage: every such collection found none,
and cost a create 30 µs in process. So a young collection that finds (next to) nothing is followed
by skipped ones, twice as many each time up to `most_skipped`: at their start the young generation
is frozen unexamined, counted by the collector's own allocation count. One that finds garbage turns
skipping off, so a load that makes cycles has them reclaimed young as before; cycles that died in a
skipped generation wait for the next full collection, like any frozen garbage.
"""

from __future__ import annotations

import gc
import threading
import time
from typing import Any

YOUNG_THRESHOLD = 10_000  # allocations (net of deallocations) between young collections
# A full collection once this many times what the last one left has been frozen since. Rare: each
# walks the whole heap (1.2 s at a million objects on the loaded 2-core machine, which put a 60 s
# create run's p99 at 500 ms with 4), at the price of frozen garbage cycles waiting that long.
FULL_GROWTH = 16
# Young collections that find no garbage are skipped, their objects frozen without being examined:
# after each that found none, up to twice as many as before are skipped, at most this many in a row.
MOST_SKIPPED = 7


class HeapPolicy:
    """Installed once per process (`install`): freezes survivors, and collects everything now and then."""

    def __init__(
        self, young: int = YOUNG_THRESHOLD, growth: float = FULL_GROWTH, most_skipped: int = MOST_SKIPPED
    ) -> None:
        self.young = young
        self.growth = growth
        self.most_skipped = most_skipped
        self.skips = 0  # young collections to skip before the next that looks
        self.streak = 0  # how many were skipped after the last that found nothing
        self.skipped = 0  # young collections skipped in all
        self._examined = 0  # objects in the young generation when the current collection started
        self.after_full = 0  # objects frozen when the last full collection ended
        self.frozen = 0  # objects frozen since, counted as they are (not by a walk of the heap)
        self.since_walk = 0  # survivors counted since the frozen heap was last walked
        self.full_collections = 0
        self.collector: threading.Thread | None = None  # the last full collection's
        self._due = False  # a full collection is on its way
        self._collecting = threading.Lock()

    def install(self) -> None:
        self._collect_all()
        gc.set_threshold(self.young, 10, 100)
        gc.callbacks.append(self._after_collection)

    def uninstall(self) -> None:
        """Back to CPython's own policy (tests)."""
        gc.callbacks.remove(self._after_collection)
        gc.set_threshold(700, 10, 10)
        gc.unfreeze()

    def _after_collection(self, phase: str, info: dict[str, Any]) -> None:
        if self._due or self._collecting.locked():
            return
        if phase == "start":
            self._examined = 0
            if info["generation"] < 2 and self.skips:
                # frozen as they are, unexamined: the collection that follows finds an empty generation
                self.skips -= 1
                self.skipped += 1
                young = gc.get_count()[0]
                gc.freeze()
                self._grew(young)
            else:
                self._examined = gc.get_count()[0]
            return
        if not self._examined:
            return
        if info["generation"] < 2:
            # garbage found (more than a 50th of what was examined): look at every young generation
            # again; none: skip up to twice as many young collections as last time
            found = info["collected"] * 50 > self._examined
            self.streak = 0 if found else min(max(1, 2 * self.streak), self.most_skipped)
            self.skips = self.streak
        # what survived joins the frozen heap (before `_grew` may start a full collection, which
        # unfreezes everything)
        gc.freeze()
        self._grew(self._examined - info["collected"])

    def _grew(self, survivors: int) -> None:
        self.frozen += survivors
        self.since_walk += survivors
        bound = self.growth * self.after_full
        if self.frozen <= bound:
            return
        # Counted as frozen, an object is not counted again when it dies: a heap that churns without
        # growing (a full request journal: one entry in, the oldest out) would reach the bound all
        # the same. So the frozen heap is counted as it is (a walk of it), and what it grew by
        # stands; at most once per `bound` survivors counted, so that a heap that stays just under
        # the bound is not walked at every young collection (a full collection may come up to one
        # bound late instead).
        if self.since_walk < bound:
            return
        self.since_walk = 0
        self.frozen = gc.get_freeze_count() - self.after_full
        if self.frozen > bound:
            # a collection cannot start inside the collector's callback: a thread runs it as soon as
            # this allocation returns
            self._due = True
            self.collector = threading.Thread(target=self._collect_all, name="full-collection", daemon=True)
            self.collector.start()

    def _collect_all(self) -> None:
        with self._collecting:
            gc.unfreeze()
            full = gc.get_stats()[2]["collections"]
            gc.collect()
            while gc.get_stats()[2]["collections"] == full:
                # started from the collector's callback, this thread may run before that collection
                # ended, and `gc.collect()` does nothing during one: again once it has
                time.sleep(0.001)
                gc.collect()
            gc.freeze()
            self.after_full = gc.get_freeze_count()
            self.frozen = self.since_walk = 0
            self.full_collections += 1
            self._due = False


POLICY = HeapPolicy()


def install() -> None:
    """The policy of this process (for `serve`, and benchmarks measuring what `serve` runs)."""
    POLICY.install()
