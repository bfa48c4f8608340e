"""HTTP throughput of the sandbox against a bare Starlette app and Prism, one run, same load client.

    python benchmarks/http.py [--duration 10] [--connections 32]

Needs `wrk` (Debian: apt-get install wrk). Each server runs pinned to CPU 0 and wrk to CPU 1 when
the machine has two cores; Prism (`npx @stoplight/prism-cli`) is measured when npx is present.
Every server binds 127.0.0.1 on a port the OS picks; every run is bounded by --duration.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named like the standard library's `http` package: drop its folder from the import
# path before anything imports `http.client`.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

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
def server(command: list[str], health: str, timeout: float = 60, pin: bool = True) -> Iterator[int]:
    # a session of its own: npx starts Prism as a child, and the whole group is stopped at the end
    process = subprocess.Popen((pinned(0) if pin else []) + command, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, cwd=ROOT, start_new_session=True)
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


def cpu_seconds(pid: int | None) -> float:
    """CPU time the process has used (user + system), from /proc; nan where there is none."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(url: str, duration: int, connections: int, script: str | None = None,
        pid: int | None = None) -> dict[str, float]:
    """One wrk run. `cpu_us` is the server's CPU time per request: unlike req/s, it hardly moves
    when other processes load the machine, so it is the figure to compare two builds by."""
    command = [*pinned(1), "wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency",
               "-H", f"Authorization: Bearer {KEY}"]
    if script:
        command += ["-s", script]
    cpu = cpu_seconds(pid)
    out = subprocess.run([*command, url], capture_output=True, text=True, timeout=duration + 30).stdout
    cpu = cpu_seconds(pid) - cpu
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    done = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    latency = {p: _ms(re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)) for p in ("50", "99")}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rate, "p50": latency["50"], "p99": latency["99"],
            "non2xx": float(errors.group(1)) if errors else 0.0,
            "cpu_us": cpu / done * 1e6 if done else float("nan")}


def _ms(match: re.Match[str] | None) -> float:
    if match is None:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def measure(base: str, prefix: str, batch_id: str, duration: int, connections: int,
            workdir: Path, pid: int | None = None) -> dict[str, dict[str, float]]:
    lua = workdir / f"post-{abs(hash(base))}.lua"
    lua.write_text(POST_LUA % (KEY, f"{prefix}/batch-calls", BODY))
    return {
        "GET /batch-calls/{id}": wrk(f"{base}{prefix}/batch-calls/{batch_id}", duration, connections,
                                     pid=pid),
        "GET /batch-calls?limit=50": wrk(f"{base}{prefix}/batch-calls?limit=50", duration, connections,
                                         pid=pid),
        "POST /batch-calls": wrk(f"{base}{prefix}/batch-calls", duration, connections, str(lua), pid=pid),
    }


def seed_batches(base: str) -> str:
    """50 batches so the list has a full page; answers one id."""
    ids = []
    for _ in range(50):
        r = httpx.post(f"{base}/api/public/v1/batch-calls", content=BODY,
                       headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
        ids.append(r.json()["data"]["id"])
    return str(ids[0])


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    args.add_argument("--connections", type=int, default=32)
    args.add_argument("--no-prism", action="store_true")
    args.add_argument("--observers", action="store_true",
                      help="also measure the sandbox with --quiet --journal-size 0 (no access log, no "
                           "request journal), to show what those cost")
    opts = args.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    results: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sandboxes = {"sandbox": []}
        if opts.observers:
            sandboxes["sandbox, no log"] = ["--quiet", "--journal-size", "0"]
        for name, flags in sandboxes.items():
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            with server([sys.executable, "-m", "mock_server", "serve", "--port", str(port),
                         "--clock", "manual", *flags], f"{base}/_mock/health") as pid:
                batch_id = seed_batches(base)
                results[name] = measure(base, "/api/public/v1", batch_id, opts.duration,
                                        opts.connections, work, pid)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with server([sys.executable, "-m", "uvicorn", "benchmarks.bare_app:app", "--port", str(port),
                     "--host", "127.0.0.1", "--log-level", "warning", "--no-access-log",
                     "--no-proxy-headers", "--no-server-header"],  # the sandbox's own uvicorn settings
                    f"{base}/api/public/v1/batch-calls") as pid:
            results["bare starlette"] = measure(base, "/api/public/v1", "batch_1", opts.duration,
                                                opts.connections, work, pid)
        if shutil.which("npx") and not opts.no_prism:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            try:
                with server(["npx", "--yes", "@stoplight/prism-cli@5", "mock", "-h", "127.0.0.1",
                             "-p", str(port), "-v", "silent", "openapi.json"],
                            f"{base}/agents", timeout=240):
                    results["prism (static)"] = measure(base, "", "batch_3f9c2a1e7b4d", opts.duration,
                                                        opts.connections, work)
            except RuntimeError as exc:
                print(f"prism skipped: {exc}", file=sys.stderr)
    report(results)
    return 0


def report(results: dict[str, dict[str, dict[str, float]]]) -> None:
    print(f"{'server':<16} {'endpoint':<28} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} "
          f"{'CPU µs/req':>10}")
    for name, rows in results.items():
        for endpoint, r in rows.items():
            print(f"{name:<16} {endpoint:<28} {r['rps']:>9.0f} {r['p50']:>8.2f} {r['p99']:>8.2f} "
                  f"{r['non2xx']:>8.0f} {r.get('cpu_us', float('nan')):>10.0f}")
    sandbox = results.get("sandbox", {})
    for other in ("sandbox, no log", "bare starlette", "prism (static)"):
        if other not in results:
            continue
        for endpoint, r in sandbox.items():
            ratio = r["rps"] / results[other][endpoint]["rps"]
            cpu = r.get("cpu_us", float("nan")) / results[other][endpoint].get("cpu_us", float("nan"))
            print(f"sandbox / {other:<15} {endpoint:<28} {ratio:>6.2f}x req/s  {cpu:>6.2f}x CPU per request")
    print(json.dumps(results))


if __name__ == "__main__":
    sys.exit(main())
