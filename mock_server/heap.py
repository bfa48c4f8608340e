"""The garbage collector's policy for a server whose state only grows: pauses that do not grow with it.

With CPython's defaults, each object that survives is traversed again by every collection of the
generations it passes through, and full collections walk the whole heap: a load test's growing
state (batches, contacts, idempotency records, journal entries) made pauses of 30 to 90 ms, and a
create run's p99 grew with it (docs/performance.md). So, once the start-up heap is built, it is
frozen (`gc.freeze()`: out of every collection), and so is what survives each young collection:
an object is traversed once, young, then never again. Young collections are kept small (`young`
allocations), so that each pause is short.

Examining even a young generation is not cheap once the heap is large: its objects lie wherever
freed blocks were reused, all over the heap, and touching each is a cache miss (a young collection
of 16,000 objects took 1.5 ms with 100,000 objects in the heap, 4 to 11 ms with 400,000; counting
them with `gc.get_objects` cost as much). A create run leaves no garbage: every such collection
found none, and they cost a create 30 µs in process. So a young collection that finds
nothing is followed by skipped ones, twice as many each time up to `most_skipped`: at their start
the young generation is frozen unexamined. One that finds any garbage turns skipping off, so a load
that makes cycles has them reclaimed young as before. The requests themselves make none
(tests/test_reference_cycles.py): a 422 did, holding the request's body, and a dropped world did,
holding everything of its workspace.

Freezing does not keep anything alive: an object whose last reference goes is freed as ever. What
it gives up is finding reference cycles that become garbage once frozen (one made outside a
request, say by a background task, or one that died in a skipped generation). They are not lost:
once the heap holds `growth` times the memory blocks, or the process the resident memory, that the
last full collection left, everything is unfrozen and collected once (a pause that grows with the
heap, but rare), and what survives is frozen again. The heap is measured by
`sys.getallocatedblocks()` (every small object, reference cycles or not; a read of each memory
pool's header, 1 ms at 12 million blocks) and by the process's resident memory (the large objects,
one block each; and everything under `PYTHONMALLOC=malloc`, which counts no blocks), never by
walking the objects (counting three million frozen objects took 170 to 360 ms, a pause of its
own): what died since is not counted, and what stays is.

That rare collection is a pause of its own (about 2 s over three million objects), so it waits for
a quiet moment: once the heap has grown `growth`-fold, a thread watches the process's CPU time and,
under `serve`, uvicorn's count of the requests answered, and collects as soon as a `quiet_seconds`
passes with at most `quiet_requests` answered and the process busy less than `quiet_share` of it
(a load test's end, a night; the requests in flight then wait out the pause). Under load that never
lets up, it comes anyway once the heap has grown `forced_growth`-fold or `most_wait` seconds have
passed: a 60 s create run, which crosses the 16-fold growth about halfway, no longer stalls
(docs/performance.md).
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

YOUNG_THRESHOLD = 10_000  # allocations (net of deallocations) between young collections
# A full collection once the heap holds this many times the blocks, or the resident memory, the last
# one left. Rare: each walks the whole heap (1.7 to 2 s over three million objects on the 2-core
# machine), at the price of frozen garbage cycles waiting that long.
FULL_GROWTH = 16
# Young collections that find no garbage are skipped, their objects frozen without being examined:
# after each that found none, up to twice as many as before are skipped, at most this many in a row.
MOST_SKIPPED = 7
# Once due, the full collection waits for a second in which the process answered at most 20
# requests and used under a tenth of a core; at most ten minutes, and not past a heap grown 64-fold.
QUIET_SECONDS = 1.0
QUIET_REQUESTS = 20
QUIET_SHARE = 0.1
MOST_WAIT = 600.0
FORCED_GROWTH = 64
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class HeapPolicy:
    """Installed once per process (`install`): freezes survivors, and collects everything now and then.

    A young collection's callbacks (start to stop) and a full collection exclude each other
    (`_collecting`): a full collection unfreezing the heap between a callback's look and its
    freeze would have had the heap frozen again under it, and found none of the frozen garbage."""

    def __init__(
        self, young: int = YOUNG_THRESHOLD, growth: float = FULL_GROWTH, most_skipped: int = MOST_SKIPPED,
        quiet_seconds: float = QUIET_SECONDS, quiet_share: float = QUIET_SHARE,
        quiet_requests: int = QUIET_REQUESTS, most_wait: float = MOST_WAIT,
        forced_growth: float = FORCED_GROWTH, cpu_seconds: Callable[[], float] = time.process_time,
    ) -> None:
        self.young = young
        self.growth = growth
        self.most_skipped = most_skipped
        self.quiet_seconds = quiet_seconds
        self.quiet_share = quiet_share
        self.quiet_requests = quiet_requests
        self.most_wait = most_wait
        self.forced_growth = max(growth, forced_growth)
        self.cpu_seconds = cpu_seconds  # the process's CPU time, every thread's (a test's stand-in)
        # requests answered so far (`serve` sets it: uvicorn's count); None: CPU time alone says
        self.requests: Callable[[], int] | None = None
        self.skips = 0  # young collections to skip before the next that looks
        self.streak = 0  # how many were skipped after the last that found nothing
        self.skipped = 0  # young collections skipped in all
        self._examined = 0  # the young generation's count when the current collection started
        self.after_full = 0  # the allocator's blocks in use when the last full collection ended
        self.resident_after_full = 0  # and the process's resident bytes
        self.full_collections = 0
        self.waited = 0.0  # how long the last full collection waited for a quiet moment
        self._fork_hooked = False
        self._reset_threads()

    def _reset_threads(self) -> None:
        """The state shared with the full collection's thread (none running)."""
        self._due = False  # a full collection is on its way (its thread waiting or collecting)
        self._urgent = threading.Event()  # the heap grew `forced_growth`-fold: no more waiting
        self._stopping = threading.Event()  # uninstalled: the waiting thread ends
        self._collecting = threading.Lock()  # held by a full collection, or a collection's callbacks
        self._held = False  # the current collection's callbacks hold `_collecting`
        self._full_by: int | None = None  # the thread making a full collection
        self._full_done = False  # and whether its collection ran
        self.collector: threading.Thread | None = None  # the last full collection's

    def install(self) -> None:
        gc.callbacks.append(self._after_collection)
        self._collect_all()
        gc.set_threshold(self.young, 10, 100)
        if not self._fork_hooked:
            # a child (`serve --workers` forks after `install`) has none of its parent's threads: a
            # full collection the parent was waiting for, or making, is not the child's (and a lock
            # held by a thread that is not there would keep the child's callback idle for good)
            os.register_at_fork(after_in_child=self._reset_threads)
            self._fork_hooked = True

    def uninstall(self) -> None:
        """Back to CPython's own policy (tests); a full collection waiting for its moment ends."""
        self._stopping.set()
        self._urgent.set()
        if self.collector is not None:
            self.collector.join(60)
        gc.callbacks.remove(self._after_collection)
        gc.set_threshold(700, 10, 10)
        gc.unfreeze()
        self._reset_threads()

    def _after_collection(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._held = self._collecting.acquire(blocking=False)
            if not self._held:  # a full collection (this one, or one this waits for): hands off
                return
            self._examined = 0
            if info["generation"] < 2 and self.skips:
                # frozen as they are, unexamined: the collection that follows finds an empty generation
                self.skips -= 1
                self.skipped += 1
                gc.freeze()
                self._check_growth()
            else:
                self._examined = gc.get_count()[0]
            return
        if not self._held:
            if info["generation"] == 2 and self._full_by == threading.get_ident():
                self._full_done = True
            return
        try:
            if not self._examined:
                return
            if info["generation"] < 2:
                # garbage found: look at every young generation again; none: skip up to twice as
                # many young collections as last time
                found = info["collected"] > 0
                self.streak = 0 if found else min(max(1, 2 * self.streak), self.most_skipped)
                self.skips = self.streak
            # what survived joins the frozen heap
            gc.freeze()
            self._check_growth()
        finally:
            self._held = False
            self._collecting.release()

    def _check_growth(self) -> None:
        blocks, resident = sys.getallocatedblocks(), resident_bytes()

        def grown(factor: float) -> bool:
            return blocks > factor * self.after_full or resident > factor * self.resident_after_full

        if grown(self.forced_growth):
            self._urgent.set()
        elif not grown(self.growth):
            return
        if self._due:  # (its thread is waiting for a quiet moment, or for `_urgent`)
            return
        # a collection cannot start inside the collector's callback: a thread runs it, once the
        # process is quiet
        self._due = True
        self.collector = threading.Thread(
            target=self._collect_when_quiet, name="full-collection", daemon=True
        )
        try:
            self.collector.start()
        except RuntimeError:  # no thread to be had (the interpreter ending, a thread limit):
            self._due = False  # the next young collection tries again, rather than never

    def _collect_when_quiet(self) -> None:
        try:
            started = at = time.monotonic()
            used, answered = self.cpu_seconds(), self._answered()
            while at - started < self.most_wait and not self._urgent.wait(self.quiet_seconds):
                # the window as it was (a wait may last longer than asked, on a busy machine)
                (then, at), (before, used), (answered_before, answered) = (
                    (at, time.monotonic()), (used, self.cpu_seconds()), (answered, self._answered()))
                if (used - before < self.quiet_share * (at - then)
                        and answered - answered_before <= self.quiet_requests):
                    break
            if self._stopping.is_set():
                return
            self.waited = time.monotonic() - started
            self._collect_all()
        finally:
            self._due = False  # (whatever happened: the next growth tries again)

    def _answered(self) -> int:
        return self.requests() if self.requests is not None else 0

    def _collect_all(self) -> None:
        with self._collecting:
            gc.unfreeze()
            self._full_by, self._full_done = threading.get_ident(), False
            try:
                gc.collect()
                while not self._full_done:
                    # a collection of another thread's was under way (its finalizers let this
                    # thread run), and `gc.collect()` does nothing during one: again once it ended
                    time.sleep(0.001)
                    gc.collect()
            finally:
                self._full_by = None
            gc.freeze()
            self.after_full = sys.getallocatedblocks()
            self.resident_after_full = resident_bytes()
            self.full_collections += 1
            self._urgent.clear()
            self._due = False


def resident_bytes() -> int:
    """The process's resident memory (Linux's /proc; 0 where there is none): what the allocator's
    blocks do not count, the large objects (a request body of a megabyte is one block), and
    everything when Python's allocator is not in use (`PYTHONMALLOC=malloc`: no blocks counted)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * PAGE_BYTES
    except (OSError, IndexError, ValueError):
        return 0


POLICY = HeapPolicy()


def install() -> None:
    """The policy of this process (for `serve`, and benchmarks measuring what `serve` runs)."""
    POLICY.install()
