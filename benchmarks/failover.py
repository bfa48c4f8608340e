"""Failover under load (issue 23): kill -9 of the instance that owns every workspace, while a client
keeps writing and reading them through the other.

    python benchmarks/failover.py [--workspaces 50] [--lease 3] [--before 3] [--after 10]

Two `serve --store … --ownership --lease-seconds LEASE` processes on one throwaway PostgreSQL
(tests/pg_cluster.py). The workspaces are created and first written through A, so A owns them all.
A client then loops over them through B (each turn: create a batch call, then read it back), so
every request is forwarded to A; after `--before` seconds A is killed with SIGKILL, and the loop
goes on for `--after` seconds. Printed:

- how long after the kill each workspace answered a write with 201 again (the slowest and the
  median), and the answers meanwhile (503 "retry in a moment", or connection errors);
- whether anything acknowledged was lost: every batch call answered 201, before the kill or after,
  must be in its workspace's list at the end (through B, which owns them all by then).

The goal is the issue's: the workspaces answer again within 5 s of the kill (a lease, 3 s by
default, is how long B waits before taking A's leases), and nothing acknowledged is lost.
"""

from __future__ import annotations

import sys
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)  # benchmarks/http.py would shadow the standard library's `http`
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # pg_cluster: the tests'
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import collections
import contextlib
import os
import signal
import statistics
import time

import httpx
import pg_cluster

from benchmarks import http as bench
from benchmarks.cluster import API, serve


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--workspaces", type=int, default=50)
    args.add_argument("--lease", type=float, default=3.0, help="--lease-seconds of both instances")
    args.add_argument("--before", type=float, default=3.0, help="seconds of load before the kill")
    args.add_argument("--after", type=float, default=10.0, help="seconds of load after it")
    opts = args.parse_args()
    pg = pg_cluster.start()
    flags = ("--clock", "manual", "--ownership", "--lease-seconds", str(opts.lease), "--idle-evict", "0")
    acknowledged: dict[str, list[str]] = collections.defaultdict(list)
    answers: collections.Counter[str] = collections.Counter()
    back_after: dict[str, float] = {}
    try:
        database = pg.new_database()
        with contextlib.ExitStack() as stack, httpx.Client(timeout=30) as client:
            (a, a_pid), (b, _) = (stack.enter_context(serve("--store", database, *flags)) for _ in range(2))
            keys = []
            for _ in range(opts.workspaces):  # created and first written through A: A owns them
                key = client.post(f"{a}/_mock/workspaces").json()["api_key"]
                headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
                made = client.post(f"{a}{API}/batch-calls", content=bench.BODY, headers=headers)
                acknowledged[key].append(made.json()["data"]["id"])
                keys.append(key)
            started, killed_at = time.monotonic(), None
            turn = 0
            while time.monotonic() - started < opts.before + opts.after:
                if killed_at is None and time.monotonic() - started >= opts.before:
                    os.kill(a_pid, signal.SIGKILL)
                    killed_at = time.monotonic()
                key = keys[turn % len(keys)]
                turn += 1
                headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
                try:
                    made = client.post(f"{b}{API}/batch-calls", content=bench.BODY, headers=headers,
                                       timeout=10)
                except httpx.HTTPError as exc:
                    answers[type(exc).__name__] += 1
                    continue
                answers[str(made.status_code)] += 1
                if made.status_code == 201:
                    batch = made.json()["data"]["id"]
                    acknowledged[key].append(batch)
                    read = client.get(f"{b}{API}/batch-calls/{batch}", headers=headers)
                    answers[f"read {read.status_code}"] += 1
                    if killed_at is not None and key not in back_after:
                        back_after[key] = time.monotonic() - killed_at
            lost = 0
            for key, batches in acknowledged.items():
                listed = client.get(f"{b}{API}/batch-calls", params={"limit": 100},
                                    headers={"Authorization": f"Bearer {key}"}).json()["data"]
                lost += len(set(batches) - {batch["id"] for batch in listed})
    finally:
        pg.destroy()
    waits = sorted(back_after.values())
    print(f"{opts.workspaces} workspaces owned by A; writes and reads through B; A killed (SIGKILL) after "
          f"{opts.before:g} s; --lease-seconds {opts.lease:g}")
    print(f"answers: {dict(sorted(answers.items()))}")
    if waits:
        print(f"workspaces that answered a write again: {len(waits)} of {opts.workspaces}; after the kill: "
              f"median {statistics.median(waits):.2f} s, slowest {waits[-1]:.2f} s")
    print(f"acknowledged batch calls: {sum(len(b) for b in acknowledged.values())}, lost: {lost}")
    return 0 if lost == 0 and len(waits) == opts.workspaces else 1


if __name__ == "__main__":
    sys.exit(main())
