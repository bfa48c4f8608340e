"""Where a cluster's memory goes (issue 23): two instances on one PostgreSQL, N workspaces.

    python benchmarks/cluster_memory.py [--workspaces 2000] [--idle 3]

Each setup starts two `serve --store …` processes on free loopback ports, creates N workspaces
(alternately through each), then, as a round-robin balancer would, writes each workspace through
one instance (a batch call created) and reads it through the other (its list). It prints, per
instance, the workspaces it knows, those whose world it holds in memory (the others dormant,
`batchcalls_worlds_dormant`) and its resident memory (VmRSS, /proc):

- `--store`: every instance catches up every workspace it serves, so holds them all;
- `--ownership`: a workspace's owner holds it, the other forwards to it;
- `--ownership --idle-evict S`: the same, then S seconds and a sweep later, with nothing used since.

Resident memory is what the process took from the system: Python keeps freed memory for reuse,
so after an eviction the worlds held is the figure that falls, and the RSS stays near its peak.
Needs PostgreSQL's server binaries (apt-get install postgresql): a throwaway cluster is started as
the cluster tests start it (tests/pg_cluster.py) and deleted at the end.
"""

from __future__ import annotations

import sys
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)  # benchmarks/http.py would shadow the standard library's `http`
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # pg_cluster: the tests'
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import contextlib
import time

import httpx
import pg_cluster

from benchmarks import http as bench
from benchmarks.cluster import API, serve


def metric(client: httpx.Client, base: str, name: str) -> float:
    lines = client.get(f"{base}/_mock/metrics").text.splitlines()
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith(f"{name} "))


def resident_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def held(client: httpx.Client, instances: list[tuple[str, int]]) -> list[tuple[int, int, float]]:
    """Per instance: workspaces known, worlds in memory, resident MiB (after each has caught up
    with the sandbox's own stream: a listing)."""
    found = []
    for base, pid in instances:
        client.get(f"{base}/_mock/workspaces")
        known = int(metric(client, base, "batchcalls_worlds"))
        dormant = int(metric(client, base, "batchcalls_worlds_dormant"))
        found.append((known, known - dormant, resident_mib(pid)))
    return found


def load(client: httpx.Client, instances: list[tuple[str, int]], workspaces: int) -> float:
    """N workspaces, each written through one instance and read through the other: seconds taken."""
    started = time.monotonic()
    bases = [base for base, _ in instances]
    keys = [client.post(f"{bases[i % 2]}/_mock/workspaces").json()["api_key"] for i in range(workspaces)]
    for i, key in enumerate(keys):
        auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        created = client.post(f"{bases[i % 2]}{API}/batch-calls", content=bench.BODY, headers=auth)
        listed = client.get(f"{bases[(i + 1) % 2]}{API}/batch-calls", headers=auth)
        assert created.status_code == 201 and listed.status_code == 200, (created.text, listed.text)
    return time.monotonic() - started


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--workspaces", type=int, default=2000)
    args.add_argument("--idle", type=float, default=3.0, help="--idle-evict of the last setup (seconds)")
    opts = args.parse_args()
    pg = pg_cluster.start()
    rows: list[tuple[str, str, list[tuple[int, int, float]]]] = []
    lifted = ("--clock", "manual", "--max-workspaces", str(opts.workspaces + 10))
    try:
        for name, flags in (
            ("--store", ()),
            ("--ownership", ("--ownership", "--idle-evict", "0")),
            (f"--ownership --idle-evict {opts.idle:g}", ("--ownership", "--idle-evict", str(opts.idle))),
        ):
            database = pg.new_database()
            with contextlib.ExitStack() as stack, httpx.Client(timeout=30) as client:
                instances = [stack.enter_context(serve("--store", database, *lifted, *flags))
                             for _ in range(2)]
                seconds = load(client, instances, opts.workspaces)
                rows.append((name, f"after the load ({seconds:.0f} s)", held(client, instances)))
                if "--idle-evict" in name:
                    time.sleep(opts.idle + min(opts.idle / 4, 30) + 0.5)
                    rows.append((name, f"{opts.idle:g} s later, unused", held(client, instances)))
    finally:
        pg.destroy()
    print(f"{opts.workspaces} workspaces, each written through one instance and read through the other")
    print(f"{'setup':<30} {'when':<26} {'instance':>8} {'known':>6} {'in memory':>10} {'RSS MiB':>8}")
    for name, when, found in rows:
        for number, (known, in_memory, mib) in enumerate(found, 1):
            print(f"{name:<30} {when:<26} {number:>8} {known:>6} {in_memory:>10} {mib:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
