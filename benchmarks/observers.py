"""What the request journal and the access log cost inside the app: µs per request, with and without.

Four apps side by side: the default settings (journal of 10,000 entries, text access log written
by its writer thread as `serve` writes it, to /dev/null here), the journal alone (`--quiet`), the
log alone (`--journal-size 0`) and `--quiet --journal-size 0` (no observers at all). The same requests as
benchmarks/in_process.py run against both in alternating rounds, and the fastest round of each is
kept; time is this process's CPU time, so that load from other processes on a shared machine
mostly cancels out.

    python benchmarks/observers.py [--rounds 30] [--requests 300]
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
import os
import time
from collections.abc import Callable
from typing import Any

import orjson

from benchmarks.in_process import API, BODY, call, post_scope, scope
from benchmarks.lifted_quotas import LIFTED
from mock_server.app import create_app
from mock_server.cli import tune_garbage_collector
from mock_server.settings import Settings

Case = Callable[[int], tuple[Any, bytes]]


async def cases_of(app: Any, label: str) -> dict[str, Case]:
    ids = []
    for i in range(50):
        sent = await call(app, post_scope(f"seed-{label}-{i}"), BODY)
        ids.append(orjson.loads(sent[1]["body"])["data"]["id"])
    return {
        "GET /batch-calls/{id}": lambda i: (scope("GET", f"{API}/batch-calls/{ids[0]}"), b""),
        "GET /batch-calls?limit=50": lambda i: (scope("GET", f"{API}/batch-calls", b"limit=50"), b""),
        "POST /batch-calls": lambda i: (post_scope(f"bench-{label}-{i}"), BODY),
    }


async def measure(rounds: int, requests: int) -> dict[str, dict[str, float]]:
    # the access log as `serve` writes it: by its writer thread (its CPU time is this process's too)
    apps = {
        "observed": create_app(Settings(clock="manual", access_log_thread=True, **LIFTED)),
        "journal": create_app(Settings(clock="manual", quiet=True, **LIFTED)),
        "log": create_app(Settings(clock="manual", journal_size=0, access_log_thread=True, **LIFTED)),
        "bare": create_app(Settings(clock="manual", quiet=True, journal_size=0, **LIFTED)),
    }
    cases = {name: await cases_of(app, name) for name, app in apps.items()}
    tune_garbage_collector()
    best: dict[str, dict[str, float]] = {name: {} for name in apps}
    counter = 0
    for _ in range(rounds):
        for endpoint in cases["bare"]:
            for name, app in apps.items():
                make = cases[name][endpoint]
                started = time.process_time()
                for _ in range(requests):
                    counter += 1
                    sent = await call(app, *make(counter))
                micros = (time.process_time() - started) / requests * 1e6
                assert sent[0]["status"] in (200, 201), sent
                best[name][endpoint] = min(best[name].get(endpoint, float("inf")), micros)
    gc.unfreeze()
    return best


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--rounds", type=int, default=30, help="alternating rounds (default 30)")
    args.add_argument("--requests", type=int, default=300, help="requests per round and case (default 300)")
    opts = args.parse_args()
    with open(os.devnull, "w") as devnull:
        sys.stderr = devnull  # where the access log goes
        try:
            best = asyncio.run(measure(opts.rounds, opts.requests))
        finally:
            sys.stderr = sys.__stderr__
    print(f"{'endpoint':<28} {'bare µs':>8} {'journal':>8} {'log':>8} {'both':>8} {'cost':>7}")
    for endpoint, bare in best["bare"].items():
        journal, log, observed = (best[name][endpoint] for name in ("journal", "log", "observed"))
        print(f"{endpoint:<28} {bare:>8.1f} {journal:>8.1f} {log:>8.1f} {observed:>8.1f} "
              f"{(observed - bare) / bare:>6.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
