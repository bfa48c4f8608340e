"""Noisy neighbour: a quiet tenant's latency while another tenant does the worst things allowed.

    python benchmarks/noisy_neighbour.py [--rate 200] [--seconds 8] [--warmup 3] [--rounds 1]
                                         [--noise heads,bodies,journal,readiness,faults,...]

Starts `batchcalls-mock serve --port 0 --admin-token T` (a host's flags; every cap at its default)
pinned to CPU 0 when the machine has two, and the admin creates two tenants: a quiet one and a
noisy one (which holds two workspaces, `noisy_tenant.py`). The quiet tenant sends a realistic mix
(70 % `GET /batch-calls/{id}`, 20 % `GET /batch-calls?limit=50`, 10 % a create of three contacts)
at a fixed rate, open loop: request i is due at start + i / rate whatever came before, and its
latency runs from when it was due, so a stall of the server shows in every request it delayed
(no coordinated omission). First on the idle server, then while the noisy tenant's actors run
(each in a closed loop on a connection of its own, in another process, niced so that it does not
take the measuring client's CPU): heads just under the 431 limit, bodies just under
`--max-body-bytes`, journal pages of 1,000 and counts filtered by long templates, readiness
reports (JSON, Markdown, HTML) over full journals, fault rules churned at their cap, a slow and a
dead webhook receiver fed by simulated campaigns, idempotency keys past their cap, and (as the
admin) workspaces created up to `--max-workspaces`, listed and deleted.

Prints p50 / p99 / p99.9 / max of the quiet tenant, idle and under noise, their ratio (the goal of
issue 20: p99 under noise within 2x of idle), the server's CPU in each phase and what the noise did.
Bounded: each phase runs `--seconds`, each request at most 30 s.
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/http.py would shadow the standard library's `http`: this folder goes last on the path
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.append(sys.path.pop(0))

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import time
from typing import Any

from noisy_tenant import Noise, run_noise
from raw_http import Connection

HERE = Path(__file__).resolve().parent
API = "/api/public/v1"
KINDS = (("get", 0.7), ("list", 0.2), ("create", 0.1))
CREATE = json.dumps({"name": "quiet", "agent_id": "agt_sandbox_ready", "contacts": [
    {"phone_number": f"+1415555010{n}", "first_name": "Ann"} for n in range(3)]}).encode()


def pinned(cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu)] if shutil.which("taskset") and (os.cpu_count() or 1) >= 2 else []


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(admin: str, extra: list[str], command: list[str]) -> tuple[subprocess.Popen[str], str, int]:
    process = subprocess.Popen(
        [*pinned(0), *command, "serve", "--port", "0", "--admin-token", admin, *extra],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=HERE.parent,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    match = re.search(r"listening on http://([\d.]+):(\d+)", process.stdout.readline())
    if match is None:
        process.kill()
        raise SystemExit("the sandbox did not start")
    return process, match.group(1), int(match.group(2))


async def admin_setup(host: str, port: int, admin: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The quiet tenant's workspace (real clock, the host's default) with 50 batches, and the noisy
    tenant's two (manual clocks: it runs its campaigns by moving them)."""
    conn = Connection(host, port)
    token = [("X-Mock-Admin-Token", admin), ("Content-Type", "application/json")]
    for _ in range(100):
        try:
            await conn.request("GET", "/_mock/health")
            break
        except OSError:
            await asyncio.sleep(0.1)
    made = []
    for body in (b"{}", b'{"clock": "manual"}', b'{"clock": "manual"}'):
        status, answer = await conn.request("POST", "/_mock/workspaces", token, body)
        assert status == 201, (status, answer[:300])
        made.append(json.loads(answer))
    quiet, noisy = made[0], made[1:]
    auth = [("Authorization", f"Bearer {quiet['api_key']}"), ("Content-Type", "application/json")]
    for _ in range(50):
        status, answer = await conn.request("POST", f"{API}/batch-calls", auth, CREATE)
        assert status == 201, (status, answer[:300])
    quiet["batch"] = json.loads(answer)["data"]["id"]
    conn.close()
    return quiet, noisy


async def quiet_tenant(host: str, port: int, quiet: dict[str, Any], rate: float, seconds: float,
                       seed: int) -> dict[str, Any]:
    """Open loop: request i is due at t0 + i / rate; its latency counts from then."""
    loop = asyncio.get_running_loop()
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(64):
        pool.put_nowait(Connection(host, port))
    auth = [("Authorization", f"Bearer {quiet['api_key']}")]
    json_auth = [*auth, ("Content-Type", "application/json")]
    requests = {"get": ("GET", f"{API}/batch-calls/{quiet['batch']}", auth, b""),
                "list": ("GET", f"{API}/batch-calls?limit=50", auth, b""),
                "create": ("POST", f"{API}/batch-calls", json_auth, CREATE)}
    rng = random.Random(seed)
    names, weights = zip(*KINDS, strict=True)
    latencies: dict[str, list[float]] = {name: [] for name in names}
    failures: dict[str, int] = {}

    async def one(kind: str, due: float) -> None:
        conn = await pool.get()
        try:
            status, _ = await asyncio.wait_for(conn.request(*requests[kind]), 30)
        except (TimeoutError, OSError) as exc:
            conn.close()
            failures[type(exc).__name__] = failures.get(type(exc).__name__, 0) + 1
            return
        finally:
            pool.put_nowait(conn)
        latencies[kind].append(loop.time() - due)
        if status >= 300:
            failures[str(status)] = failures.get(str(status), 0) + 1

    total = int(rate * seconds)
    started = loop.time() + 0.05
    tasks = []
    for i in range(total):
        due = started + i / rate
        if (wait := due - loop.time()) > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.ensure_future(one(rng.choices(names, weights)[0], due)))
    await asyncio.gather(*tasks)
    while not pool.empty():
        pool.get_nowait().close()
    return {"latencies": latencies, "failures": failures}


def summary(latencies: dict[str, list[float]]) -> dict[str, float]:
    every = sorted(x for values in latencies.values() for x in values)
    if not every:
        return {"n": 0}

    def at(q: float) -> float:
        return 1000 * every[min(len(every) - 1, int(q * len(every)))]

    return {"n": len(every), "p50": at(0.5), "p99": at(0.99), "p99.9": at(0.999), "max": 1000 * every[-1]}


def phase(host: str, port: int, quiet: dict[str, Any], opts: argparse.Namespace, pid: int,
          seed: int) -> dict[str, Any]:
    cpu, wall = cpu_seconds(pid), time.monotonic()
    measured = asyncio.run(quiet_tenant(host, port, quiet, opts.rate, opts.seconds, seed))
    cpu, wall = cpu_seconds(pid) - cpu, time.monotonic() - wall
    per_kind = {kind: summary({kind: values}) for kind, values in measured["latencies"].items()}
    return {"all": summary(measured["latencies"]), "kinds": per_kind, "failures": measured["failures"],
            "server_cpu": cpu / wall}


def one_round(opts: argparse.Namespace, seed: int) -> dict[str, Any]:
    """A fresh server: the quiet tenant idle, then under each set of noise, then idle again."""
    admin = secrets.token_urlsafe(16)
    process, host, port = start_server(admin, opts.server_flag, opts.server_command)
    noise = None
    try:
        quiet, noisy = asyncio.run(admin_setup(host, port, admin))
        phases = {"idle": phase(host, port, quiet, opts, process.pid, seed)}
        context = multiprocessing.get_context("fork")
        commands, stop, results = context.Queue(), context.Event(), context.Queue()
        config = {"host": host, "port": port, "admin": admin, "tenants": noisy, "fill": opts.fill,
                  "nice": opts.nice}
        noise = context.Process(target=run_noise, args=(config, commands, stop, results), daemon=True)
        noise.start()
        deadline = time.monotonic() + 600
        while results.empty():
            if not noise.is_alive() or time.monotonic() > deadline:
                raise SystemExit("the noisy tenant did not get ready")
            time.sleep(0.5)
        assert results.get() == "ready"
        sets = ([[actor] for actor in opts.noise] if opts.each and len(opts.noise) > 1 else []) + [opts.noise]
        for actors in sets:
            commands.put(actors)
            time.sleep(opts.warmup)
            measured = phase(host, port, quiet, opts, process.pid, seed)
            stop.set()
            label = "noise: all" if actors == opts.noise else f"noise: {actors[0]}"
            phases[label] = {**measured, "noisy tenant": results.get(timeout=300)}
        commands.put(None)
        noise.join(60)
        phases["idle again"] = phase(host, port, quiet, opts, process.pid, seed)
        return phases
    finally:
        if noise is not None and noise.is_alive():
            noise.kill()
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def show(rounds: list[dict[str, Any]]) -> None:
    for n, phases in enumerate(rounds, 1):
        idle = phases["idle"]["all"]["p99"]
        print(f"round {n}: the quiet tenant, {phases['idle']['all']['n']} requests a phase")
        print(f"  {'phase':<22}{'p50 ms':>9}{'p99 ms':>9}{'p99.9 ms':>10}{'max ms':>9}{'p99/idle':>10}"
              f"{'server CPU':>12}  failures")
        for name, result in phases.items():
            row = result["all"]
            print(f"  {name:<22}{row['p50']:>9.2f}{row['p99']:>9.2f}{row['p99.9']:>10.2f}{row['max']:>9.1f}"
                  f"{row['p99'] / idle:>9.2f}x{100 * result['server_cpu']:>11.0f}%  "
                  f"{result['failures'] or ''}")
        done = phases["noise: all"]["noisy tenant"]
        if "error" in done:
            print(f"  the noisy tenant failed: {done['error']}")
        print("  the noisy tenant under `noise: all`: operation, count, slowest, statuses")
        for label, count in sorted(done.get("done", {}).items()):
            slowest = 1000 * done["slowest"][label]
            print(f"    {label:<24}{count:>8}{slowest:>10.0f} ms  {done['statuses'][label]}")
    if len(rounds) > 1:
        ratios = [r["noise: all"]["all"]["p99"] / r["idle"]["all"]["p99"] for r in rounds]
        print(f"p99 under all the noise / idle, median of {len(rounds)} rounds: "
              f"{statistics.median(ratios):.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200, help="quiet requests a second (default 200)")
    parser.add_argument("--seconds", type=float, default=8, help="each measured phase (default 8)")
    parser.add_argument("--warmup", type=float, default=3, help="noise before it is measured (default 3)")
    parser.add_argument("--rounds", type=int, default=1, help="a fresh server each round")
    parser.add_argument("--fill", type=int, default=3_000,
                        help="small requests that fill the noisy tenant's second journal first")
    parser.add_argument("--noise", type=lambda text: text.split(","), default=list(Noise.ACTORS),
                        help=f"actors, comma-separated (default all: {','.join(Noise.ACTORS)})")
    parser.add_argument("--each", action="store_true", help="also each actor alone, one phase each")
    parser.add_argument("--nice", type=int, default=10, help="niceness of the noise process")
    parser.add_argument("--server-flag", action="append", default=[],
                        help="one more argument for `serve` (repeatable)")
    parser.add_argument("--server-command", type=str.split, default=[sys.executable, "-m", "mock_server"],
                        help="what runs `serve` (default: this Python's -m mock_server), e.g. to profile it")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    opts = parser.parse_args()
    unknown = set(opts.noise) - set(Noise.ACTORS)
    if unknown:
        parser.error(f"unknown actors: {', '.join(sorted(unknown))}")
    if len(pinned(1)):
        os.sched_setaffinity(0, {1})  # the clients on the core the server does not have
    rounds = [one_round(opts, seed) for seed in range(opts.rounds)]
    show(rounds)
    if opts.json:
        print(json.dumps([{name: {"all": p["all"], "kinds": p["kinds"], "server_cpu": p["server_cpu"]}
                           for name, p in r.items()} for r in rounds]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
