"""HTTP throughput of the sandbox against a bare Starlette app and Prism, one run, same load client.

    python benchmarks/http.py [--duration 10] [--connections 32] [--rounds 1] [--growth 60]
                              [--before PATH] [--no-prism]

Needs `wrk` (Debian: apt-get install wrk). Each server runs pinned to CPU 0 and wrk to CPU 1 when
the machine has two cores; Prism (`npx @stoplight/prism-cli`) is measured when npx is present.
Every server binds 127.0.0.1 on a port the OS picks; every run is bounded by --duration.

The bare app answers the very bytes the sandbox answers (recorded from it first: see
benchmarks/bare_app.py), so a ratio compares the work of answering, not the length of the answers.
All servers run at once and each endpoint is measured on each server in turn, `--rounds` times
(medians reported), so that ratios come from neighbouring runs on a shared machine. The sandbox runs
twice: with its default flags (request journal and access log on) and without its observers
(`--quiet --journal-size 0`), to show what they cost; `--before PATH` adds the sandbox of another
checkout (`git archive main | tar -x -C DIR` of an older commit), with the same flags; `--growth S` ends
with a create run of S seconds on each sandbox (its state growing all along).
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named like the standard library's `http` package: drop its folder from the import
# path before anything imports `http.client`.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from benchmarks.bare_app import ANSWERS_VARIABLE, answer_json
from benchmarks.lifted_quotas import LIFTED_FLAGS
from benchmarks.processes import cpu_seconds

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk_test_sandbox"
BODY = '{"name":"Bench","agent_id":"agt_sandbox_ready","contacts":[{"phone_number":"+14155550101"}]}'
POST_LUA = """
counter = 0
request = function()
  counter = counter + 1
  local headers = {}
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer %s"
  headers["X-Idempotency-Key"] = "bench-" .. counter .. "-" .. math.random(1, 1000000000)
  return wrk.format("POST", "%s", headers, '%s')
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pinned(cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu)] if shutil.which("taskset") and (os.cpu_count() or 1) >= 2 else []


@contextmanager
def server(command: list[str], health: str, timeout: float = 60, pin: bool = True, cwd: Path = ROOT,
           env: dict[str, str] | None = None) -> Iterator[int]:
    # a session of its own: npx starts Prism as a child, and the whole group is stopped at the end
    process = subprocess.Popen((pinned(0) if pin else []) + command, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, cwd=cwd, start_new_session=True,
                               env={**os.environ, **(env or {})})
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(health, headers={"Authorization": f"Bearer {KEY}"}, timeout=1).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {' '.join(command)}")
            time.sleep(0.2)
        yield process.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


def wrk(url: str, duration: int, connections: int, script: str | None = None,
        pid: int | None = None, threads: int = 1) -> dict[str, float]:
    """One wrk run. `cpu_us` is the server's CPU time per request: unlike req/s, it hardly moves
    when other processes load the machine, so it is the figure to compare two builds by."""
    command = [*pinned(1), "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency",
               "-H", f"Authorization: Bearer {KEY}"]
    if script:
        command += ["-s", script]
    cpu = cpu_seconds(pid)
    out = subprocess.run([*command, url], capture_output=True, text=True, timeout=duration + 30).stdout
    cpu = cpu_seconds(pid) - cpu
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    done = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    latency = {p: _ms(re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)\b", out)) for p in ("50", "99")}
    # "Latency   avg   stdev   max   +/- stdev"
    worst = _ms(re.search(r"Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)\b", out))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    # wrk corrects its latencies for coordinated omission (a long pause counts as the requests that
    # would have been sent meanwhile), except for answers past its 2 s timeout: those are counted
    # here only, so a pause of over 2 s shows in `timeouts`, not in the p99
    timeouts = re.search(r"Socket errors: .*timeout (\d+)", out)
    return {"rps": rate, "p50": latency["50"], "p99": latency["99"], "max": worst,
            "non2xx": float(errors.group(1)) if errors else 0.0, "requests": float(done),
            "timeouts": float(timeouts.group(1)) if timeouts else 0.0,
            "cpu_us": cpu / done * 1e6 if done else float("nan")}


def _ms(match: re.Match[str] | None) -> float:
    if match is None:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


ENDPOINTS = ("GET /batch-calls/{id}", "GET /batch-calls?limit=50", "POST /batch-calls")


@dataclass
class Target:
    """A running server and where its three requests go."""

    name: str
    base: str
    prefix: str
    batch_id: str
    pid: int | None
    lua: Path

    def run(self, endpoint: str, duration: int, connections: int) -> dict[str, float]:
        if endpoint == ENDPOINTS[0]:
            return wrk(f"{self.base}{self.prefix}/batch-calls/{self.batch_id}", duration, connections,
                       pid=self.pid)
        if endpoint == ENDPOINTS[1]:
            return wrk(f"{self.base}{self.prefix}/batch-calls?limit=50", duration, connections, pid=self.pid)
        return wrk(f"{self.base}{self.prefix}/batch-calls", duration, connections, str(self.lua),
                   pid=self.pid)


def target(name: str, base: str, prefix: str, batch_id: str, pid: int | None, workdir: Path) -> Target:
    lua = workdir / f"post-{free_port()}.lua"
    lua.write_text(POST_LUA % (KEY, f"{prefix}/batch-calls", BODY))
    return Target(name, base, prefix, batch_id, pid, lua)


def seed_batches(base: str) -> str:
    """50 batches so the list has a full page; answers one id."""
    ids = []
    for _ in range(50):
        r = httpx.post(f"{base}/api/public/v1/batch-calls", content=BODY,
                       headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
        ids.append(r.json()["data"]["id"])
    return str(ids[0])


def record_answers(base: str, batch_id: str, path: Path) -> None:
    """The sandbox's answers to the three requests, for the bare app to answer as they are."""
    auth = {"Authorization": f"Bearer {KEY}"}
    api = f"{base}/api/public/v1"
    answers = {
        "one": httpx.get(f"{api}/batch-calls/{batch_id}", headers=auth),
        "list": httpx.get(f"{api}/batch-calls?limit=50", headers=auth),
        "create": httpx.post(f"{api}/batch-calls", content=BODY,
                             headers={**auth, "Content-Type": "application/json"}),
    }
    path.write_text(json.dumps({kind: answer_json(r.status_code, r.headers.raw, r.content)
                                for kind, r in answers.items()}))


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    args.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    args.add_argument("--connections", type=int, default=32)
    args.add_argument("--rounds", type=int, default=1, help="runs of each endpoint on each server (median)")
    args.add_argument("--no-prism", action="store_true")
    # measured always now: the flag of older runs (docs/performance.md) is accepted and does nothing
    args.add_argument("--observers", action="store_true", help=argparse.SUPPRESS)
    args.add_argument("--before", type=Path, help="also measure the sandbox of this checkout")
    args.add_argument("--growth", type=int, default=0,
                      help="then a create run of this many seconds on each sandbox (default: none)")
    args.add_argument("--each-observer", action="store_true",
                      help="also measure the sandbox with the journal alone and with the access log alone")
    opts = args.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    sandboxes: dict[str, tuple[Path, list[str]]] = {
        "sandbox": (ROOT, []), "sandbox, no log": (ROOT, ["--quiet", "--journal-size", "0"])}
    if opts.each_observer:
        sandboxes["sandbox, journal alone"] = (ROOT, ["--quiet"])
        sandboxes["sandbox, log alone"] = (ROOT, ["--journal-size", "0"])
    if opts.before is not None:
        for name, (_, flags) in list(sandboxes.items()):
            sandboxes[f"before: {name}"] = (opts.before.resolve(), flags)
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as running:
        work = Path(tmp)
        targets: list[Target] = []
        for name, (checkout, flags) in sandboxes.items():
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            pid = running.enter_context(server(
                [sys.executable, "-m", "mock_server", "serve", "--port", str(port), "--clock", "manual",
                 *LIFTED_FLAGS, *flags], f"{base}/_mock/health", cwd=checkout))
            targets.append(target(name, base, "/api/public/v1", seed_batches(base), pid, work))
        answers = work / "answers.json"
        record_answers(targets[0].base, targets[0].batch_id, answers)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        pid = running.enter_context(server(
            [sys.executable, "-m", "uvicorn", "benchmarks.bare_app:create", "--factory", "--port", str(port),
             "--host", "127.0.0.1", "--log-level", "warning", "--no-access-log",
             "--no-proxy-headers", "--no-server-header"],  # the sandbox's own uvicorn settings
            f"{base}/api/public/v1/batch-calls", env={ANSWERS_VARIABLE: str(answers)}))
        targets.append(target("bare starlette", base, "/api/public/v1", "batch_1", pid, work))
        if shutil.which("npx") and not opts.no_prism:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            try:
                running.enter_context(server(
                    ["npx", "--yes", "@stoplight/prism-cli@5", "mock", "-h", "127.0.0.1", "-p", str(port),
                     "-v", "silent", "openapi.json"], f"{base}/agents", timeout=240))
                targets.append(target("prism (static)", base, "", "batch_3f9c2a1e7b4d", None, work))
            except RuntimeError as exc:
                print(f"prism skipped: {exc}", file=sys.stderr)
        runs: dict[str, dict[str, list[dict[str, float]]]] = {
            t.name: {endpoint: [] for endpoint in ENDPOINTS} for t in targets}
        for endpoint in ENDPOINTS:
            for _ in range(opts.rounds):
                for t in targets:
                    runs[t.name][endpoint].append(t.run(endpoint, opts.duration, opts.connections))
        growth = {t.name: t.run(ENDPOINTS[2], opts.growth, opts.connections)
                  for t in targets if opts.growth and t.name in sandboxes}
    results = {name: {endpoint: {key: median([r[key] for r in rounds]) for key in rounds[0]}
                      for endpoint, rounds in by_endpoint.items()}
               for name, by_endpoint in runs.items()}
    report(results, growth, opts.growth)
    print(json.dumps({"medians": results, "runs": runs, "growth": growth}))
    return 0


def report(results: dict[str, dict[str, dict[str, float]]], growth: dict[str, dict[str, float]],
           seconds: int) -> None:
    print(f"{'server':<24} {'endpoint':<28} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} "
          f"{'CPU µs/req':>10}")
    for name, rows in results.items():
        for endpoint, r in rows.items():
            timeouts = f"  timeouts {r['timeouts']:.0f}" if r["timeouts"] else ""
            print(f"{name:<24} {endpoint:<28} {r['rps']:>9.0f} {r['p50']:>8.2f} {r['p99']:>8.2f} "
                  f"{r['non2xx']:>8.0f} {r['cpu_us']:>10.0f}{timeouts}")
    pairs = [("sandbox", "bare starlette"), ("sandbox", "sandbox, no log"), ("sandbox", "prism (static)"),
             ("before: sandbox", "bare starlette"), ("before: sandbox", "before: sandbox, no log"),
             ("sandbox", "before: sandbox"), ("sandbox, no log", "before: sandbox, no log")]
    for one, other in pairs:
        if one not in results or other not in results:
            continue
        for endpoint, r in results[one].items():
            theirs = results[other][endpoint]
            print(f"{one} / {other:<24} {endpoint:<28} {r['rps'] / theirs['rps']:>6.2f}x req/s  "
                  f"{r['cpu_us'] / theirs['cpu_us']:>6.2f}x CPU per request")
    failed = [f"{name}: {endpoint}"
              for name, rows in results.items() for endpoint, r in rows.items() if r["non2xx"]]
    failed += [f"{name}: creates for {seconds} s" for name, r in growth.items() if r["non2xx"]]
    if failed:
        print("WARNING: answers other than 2xx were counted in " + "; ".join(failed), file=sys.stderr)
    for name, r in growth.items():
        print(f"{name:<24} creates for {seconds} s: {r['requests']:.0f} created, {r['rps']:.0f} req/s, "
              f"p50 {r['p50']:.2f} ms, p99 {r['p99']:.2f} ms, max {r['max']:.1f} ms, "
              f"non-2xx {r['non2xx']:.0f}, timeouts {r['timeouts']:.0f}, CPU {r['cpu_us']:.0f} µs/req")


if __name__ == "__main__":
    sys.exit(main())
