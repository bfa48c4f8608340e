"""A create run in process, with `serve`'s garbage-collector policy: CPU per create, its tail, and the
collector's pauses.

Calls the ASGI app directly (as benchmarks/in_process.py does) with `--creates` creates in one
workspace, its quotas lifted, and times each create and each garbage collection (a `gc.callbacks`
hook, placed first, so a collection's time includes the policy's own work at its start). Prints
CPU µs per create, the p99, p99.9 and max of a create's wall time, and the collections: how many,
their total, how many over 2 ms, how many young ones the policy skipped, and the full ones.

    python benchmarks/create_pauses.py [--creates 60000] [--journal-size 10000]

Run it in an older checkout (`git archive … | tar -x -C DIR`, then `python benchmarks/create_pauses.py`
from DIR) for a before and after on the same machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/http.py would shadow the standard library's `http`: drop this folder from the path
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import gc
import time
from typing import Any

from benchmarks.in_process import BODY, call, post_scope
from benchmarks.lifted_quotas import LIFTED
from mock_server import heap
from mock_server.app import create_app
from mock_server.cli import tune_garbage_collector
from mock_server.settings import Settings


class CollectionClock:
    """Each collection's wall time, from the first callback at its start to the first at its end."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self._started)


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def measure(creates: int, journal_size: int) -> dict[str, float]:
    app = create_app(Settings(clock="manual", quiet=True, journal_size=journal_size, **LIFTED))
    tune_garbage_collector()
    clock = CollectionClock()
    gc.callbacks.insert(0, clock)
    try:
        walls = []
        cpu = time.process_time()
        for i in range(creates):
            started = time.perf_counter()
            sent = await call(app, post_scope(f"create-{i}"), BODY)
            walls.append(time.perf_counter() - started)
            assert sent[0]["status"] == 201, sent
        cpu = time.process_time() - cpu
    finally:
        gc.callbacks.remove(clock)
    walls.sort()
    return {
        "cpu_us": cpu / creates * 1e6,
        "p99_us": percentile(walls, 0.99) * 1e6,
        "p999_us": percentile(walls, 0.999) * 1e6,
        "max_ms": walls[-1] * 1e3,
        "collections": len(clock.pauses),
        "collections_ms": sum(clock.pauses) * 1e3,
        "over_2ms": sum(pause > 0.002 for pause in clock.pauses),
        "skipped": getattr(heap.POLICY, "skipped", 0),  # (a checkout from before the skipping: 0)
        "full": heap.POLICY.full_collections,
    }


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    args.add_argument("--creates", type=int, default=60_000)
    args.add_argument("--journal-size", type=int, default=10_000, help="0: no request journal")
    opts = args.parse_args()
    r = asyncio.run(measure(opts.creates, opts.journal_size))
    print(f"{opts.creates} creates, journal of {opts.journal_size}: {r['cpu_us']:.1f} µs CPU a create, "
          f"p99 {r['p99_us']:.0f} µs, p99.9 {r['p999_us']:.0f} µs, max {r['max_ms']:.1f} ms; "
          f"{r['collections']} collections, {r['collections_ms']:.0f} ms in all, {r['over_2ms']} over 2 ms, "
          f"{r['skipped']} young ones skipped, {r['full']} full (one at start-up)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
