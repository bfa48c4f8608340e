"""Throughput of the sandbox in memory, on PostgreSQL, and as two processes on PostgreSQL, and how
long an instance takes to catch up on a workspace another instance wrote 10,000 requests to.

    python benchmarks/cluster.py [--duration 5] [--connections 32] [--writes 10000] [--workspaces 1]

Needs `wrk` (Debian: apt-get install wrk) and PostgreSQL's server binaries (apt-get install
postgresql): a throwaway cluster is started as the cluster tests start it (tests/pg_cluster.py), on
a free loopback port, and deleted at the end. "2 processes" is `serve --store … --workers 2` on one
port; "ownership" adds `--ownership` (each workspace served by one instance, from memory: with two
processes, the kernel hands each connection to either, and half the requests are forwarded). On a
2-core machine wrk, the servers and PostgreSQL share the cores, so besides req/s the table gives
the CPU time per request of the servers and of PostgreSQL (from /proc, user + system).

`--workspaces N` (N > 1) spreads every run over N workspaces created for it (`POST
/_mock/workspaces`, each seeded with `SPREAD_SEED` batches): each request picks one at random, its
key and its batch (issue 23's goals are figures over 100). It adds "2 instances, hashed": two
`serve --ownership` processes on ports of their own, behind what a balancer that hashes on the
credential header does (docs/SCALING.md): half the workspaces are created through each (and so
owned by it), and wrk's two threads each send one instance the requests of its half, so that no
request is forwarded. The last lines compare each setup with the one in memory: its throughput,
and its CPU per request (servers and PostgreSQL) over the memory process's. `--writes 0` leaves
out the catch-up.
"""

from __future__ import annotations

import sys
from pathlib import Path

# `python benchmarks/cluster.py` puts benchmarks/ first on the path, where http.py would shadow the
# standard library's `http` package
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # pg_cluster: the tests'
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # benchmarks.http, as a package's module

import argparse
import contextlib
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator

import httpx
import pg_cluster

from benchmarks import http as bench

KEY = bench.KEY
API = "/api/public/v1"


def descendants(pid: int) -> list[int]:
    """`pid` and every process under it (the workers of `--workers`, PostgreSQL's backends)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo += [int(c) for c in (task / "children").read_text().split()]
    return found


def cpu_times(root: int) -> dict[int, float]:
    """CPU seconds of `root` and of each process under it, by pid."""
    found = {pid: bench.cpu_seconds(pid) for pid in descendants(root)}
    return {pid: seconds for pid, seconds in found.items() if seconds == seconds}  # nan: gone


def cpu_since(roots: list[int], before: dict[int, float]) -> float:
    """CPU seconds the processes under `roots` used since `before` was taken: a process started
    since (a PostgreSQL backend for a connection a pool opened under the load) counts whole. (One
    that exited since is lost: its time can no longer be read.)"""
    now = {pid: seconds for root in roots for pid, seconds in cpu_times(root).items()}
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in now.items())


@contextlib.contextmanager
def serve(*flags: str) -> Iterator[tuple[str, int]]:
    port = bench.free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "mock_server", "serve", "--port", str(port), "--quiet",
               *bench.LIFTED_FLAGS, *flags]
    # not pinned: the servers, PostgreSQL and wrk share both cores (CPU per request is the figure)
    with bench.server(command, f"{base}/_mock/health", pin=False) as pid:
        yield base, pid


SPREAD_SEED = 10  # batches created in each workspace of `--workspaces` before the runs
SPREAD_LUA = """
local spread = {%s}
counter = 0
request = function()
  counter = counter + 1
  local pick = spread[math.random(#spread)]
  local headers = {}
  headers["Authorization"] = "Bearer " .. pick[1]
  %s
end
"""
SPREAD_REQUESTS = {
    "GET /batch-calls/{id}": f'return wrk.format("GET", "{API}/batch-calls/" .. pick[2], headers, nil)',
    "GET /batch-calls?limit=50": f'return wrk.format("GET", "{API}/batch-calls?limit=50", headers, nil)',
    "POST /batch-calls": 'headers["Content-Type"] = "application/json"\n'
                         '  headers["X-Idempotency-Key"] = "bench-" .. counter .. "-"'
                         ' .. math.random(1, 1000000000)\n'
                         f'  return wrk.format("POST", "{API}/batch-calls", headers, \'{bench.BODY}\')',
}


def spread_over(base: str, workspaces: int) -> list[tuple[str, str]]:
    """`workspaces` new workspaces, `SPREAD_SEED` batches in each: (key, one batch id) of each."""
    picked = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for _ in range(workspaces):
            key = client.post("/_mock/workspaces").raise_for_status().json()["api_key"]
            headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
            ids = [client.post(f"{API}/batch-calls", content=bench.BODY, headers=headers)
                   .raise_for_status().json()["data"]["id"] for _ in range(SPREAD_SEED)]
            picked.append((key, str(ids[0])))
    return picked


HASHED_LUA = """
local sides = {{%s}, {%s}}
local ports = {"%d", "%d"}
local made = 0
function setup(thread)
  made = made + 1
  thread.addr = wrk.lookup("127.0.0.1", ports[made])[1]
  thread:set("side", made)
end
counter = 0
request = function()
  counter = counter + 1
  local spread = sides[side]
  local pick = spread[math.random(#spread)]
  local headers = {}
  headers["Authorization"] = "Bearer " .. pick[1]
  %s
end
"""


def hashed_runs(bases: tuple[str, str], workspaces: int, work: Path) -> dict[str, tuple[str, str | None]]:
    """Each run's URL and wrk script for two instances behind a balancer that hashes on the
    credential: half the workspaces made (and owned) by each, each wrk thread on one instance."""
    tables = [", ".join(f'{{"{key}", "{batch}"}}' for key, batch in spread_over(base, workspaces // 2))
              for base in bases]
    ports = [int(base.rsplit(":", 1)[1]) for base in bases]
    runs: dict[str, tuple[str, str | None]] = {}
    for n, (name, request) in enumerate(SPREAD_REQUESTS.items()):
        lua = work / f"hashed-{n}.lua"
        lua.write_text(HASHED_LUA % (*tables, *ports, request))
        runs[name] = (f"{bases[0]}{API}/batch-calls", str(lua))
    return runs


def runs_of(base: str, workspaces: int, work: Path) -> dict[str, tuple[str, str | None]]:
    """Each run's URL and wrk script: on the default workspace, or spread over `workspaces`."""
    tag = abs(hash(base))
    if workspaces > 1:
        table = ", ".join(f'{{"{key}", "{batch}"}}' for key, batch in spread_over(base, workspaces))
        runs: dict[str, tuple[str, str | None]] = {}
        for n, (name, request) in enumerate(SPREAD_REQUESTS.items()):
            lua = work / f"spread-{tag}-{n}.lua"
            lua.write_text(SPREAD_LUA % (table, request))
            runs[name] = (f"{base}{API}/batch-calls", str(lua))
        return runs
    batch_id = bench.seed_batches(base)
    lua = work / f"post-{tag}.lua"
    lua.write_text(bench.POST_LUA % (KEY, f"{API}/batch-calls", bench.BODY))
    return {"GET /batch-calls/{id}": (f"{base}{API}/batch-calls/{batch_id}", None),
            "GET /batch-calls?limit=50": (f"{base}{API}/batch-calls?limit=50", None),
            "POST /batch-calls": (f"{base}{API}/batch-calls", str(lua))}


def measure(runs: dict[str, tuple[str, str | None]], server_pids: list[int], pg: pg_cluster.Postgres | None,
            duration: int, connections: int) -> dict[str, dict[str, float]]:
    results = {}
    databases = [postmaster(pg)] if pg else []
    for name, (url, script) in runs.items():
        before = ({pid: t for server in server_pids for pid, t in cpu_times(server).items()},
                  {pid: t for root in databases for pid, t in cpu_times(root).items()})
        row = bench.wrk(url, duration, connections, script, threads=len(server_pids))
        del row["cpu_us"]  # (of one pid: replaced by the two below)
        requests = row["rps"] * duration
        row["server_us"] = cpu_since(server_pids, before[0]) / requests * 1e6
        row["postgres_us"] = cpu_since(databases, before[1]) / requests * 1e6
        results[name] = row
    return results


def postmaster(pg: pg_cluster.Postgres) -> int:
    return int((pg.data / "postmaster.pid").read_text().split()[0])


def catch_up(pg: pg_cluster.Postgres, writes: int, work: Path) -> dict[str, float]:
    """A writes `writes` creates to the default workspace; B had read it before: how long B's next
    read takes (it applies every row, or the snapshot and the rows after it)."""
    store = pg.new_database()
    flags = ("--store", store, "--clock", "manual")
    with serve(*flags) as (a, _), serve(*flags) as (b, _):
        headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
        assert httpx.get(f"{b}{API}/batch-calls?limit=1", headers=headers).status_code == 200
        started, written, run = time.monotonic(), 0, 0
        while written < writes:  # wrk runs of 3 s until A has answered `writes` creates
            # wrk's math.random is unseeded and its counter restarts: a key prefix per run, or the
            # next run's creates would be replays of the last one's
            run += 1
            lua = work / f"writes-{run}.lua"
            script = bench.POST_LUA % (KEY, f"{API}/batch-calls", bench.BODY)
            lua.write_text(script.replace('"bench-"', f'"catch-up-{run}-"'))
            subprocess.run(["wrk", "-t1", "-c16", "-d3s", "-s", str(lua), f"{a}{API}/batch-calls"],
                           capture_output=True, text=True, timeout=60, check=True)
            listed = httpx.get(f"{a}{API}/batch-calls?limit=1", headers=headers, timeout=60).json()
            written = listed["pagination"]["total"]
        wrote = time.monotonic() - started
        timings = []
        for _ in range(2):  # the catch-up, then a read with nothing to apply
            started = time.monotonic()
            answer = httpx.get(f"{b}{API}/batch-calls?limit=1", headers=headers)
            timings.append(time.monotonic() - started)
            assert answer.json()["pagination"]["total"] == written
    return {"writes": written, "write_rps": written / wrote, "catch_up_ms": timings[0] * 1000,
            "then_ms": timings[1] * 1000}


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--duration", type=int, default=5, help="seconds per wrk run (default 5)")
    args.add_argument("--connections", type=int, default=32)
    args.add_argument("--writes", type=int, default=10_000,
                      help="requests A writes before B catches up (0: no catch-up)")
    args.add_argument("--workspaces", type=int, default=1,
                      help="spread each run over this many new workspaces (default 1: the default one)")
    opts = args.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    pg = pg_cluster.start()
    results: dict[str, dict[str, dict[str, float]]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            for name, flags, on_pg in (
                ("1 process, memory", ("--clock", "manual"), False),
                ("1 process, PostgreSQL", ("--clock", "manual"), True),
                ("2 processes, PostgreSQL", ("--clock", "manual", "--workers", "2"), True),
                ("1 process, ownership", ("--clock", "manual", "--ownership"), True),
                ("2 processes, ownership", ("--clock", "manual", "--workers", "2", "--ownership"), True),
            ):
                store = ("--store", pg.new_database()) if on_pg else ()
                with serve(*store, *flags) as (base, pid):
                    results[name] = measure(runs_of(base, opts.workspaces, work), [pid],
                                            pg if on_pg else None, opts.duration, opts.connections)
            if opts.workspaces > 1:
                flags = ("--clock", "manual", "--ownership", "--store", pg.new_database())
                with serve(*flags) as (a, a_pid), serve(*flags) as (b, b_pid):
                    results["2 instances, hashed"] = measure(
                        hashed_runs((a, b), opts.workspaces, work), [a_pid, b_pid], pg, opts.duration,
                        opts.connections)
            caught = catch_up(pg, opts.writes, work) if opts.writes > 0 else None
    finally:
        pg.destroy()
    print(f"{'setup':<24} {'endpoint':<26} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'non-2xx':>7} "
          f"{'server µs/req':>13} {'postgres µs/req':>15}")
    for name, rows in results.items():
        for endpoint, r in rows.items():
            print(f"{name:<24} {endpoint:<26} {r['rps']:>8.0f} {r['p50']:>7.2f} {r['p99']:>7.2f} "
                  f"{r['non2xx']:>7.0f} {r['server_us']:>13.0f} {r['postgres_us']:>15.0f}")
    memory = results["1 process, memory"]
    for name, rows in results.items():
        if rows is memory:
            continue
        print(f"{name} vs memory: " + "; ".join(
            f"{endpoint} {r['rps'] / memory[endpoint]['rps']:.2f}x throughput, "
            f"{(r['server_us'] + r['postgres_us']) / memory[endpoint]['server_us']:.1f}x CPU/request"
            for endpoint, r in rows.items()))
    if caught is not None:
        print(f"catch-up: A wrote {caught['writes']:.0f} creates ({caught['write_rps']:.0f}/s); B's next "
              f"read took {caught['catch_up_ms']:.0f} ms, the one after {caught['then_ms']:.1f} ms")
    print(json.dumps({"workspaces": opts.workspaces, "throughput": results, "catch_up": caught}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
