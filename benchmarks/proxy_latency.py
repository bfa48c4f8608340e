"""Latency the validation proxy adds: the same requests to the sandbox directly and through
`batchcalls-contract proxy`, one client, sequential, keep-alive.

    python benchmarks/proxy_latency.py [--requests 500]

Both servers are subprocesses on 127.0.0.1 and ports the OS picks; the run is bounded by --requests.
Prints median, p95 and p99 per request kind, and what the proxy adds.
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/http.py is named like the standard library's `http`: drop this folder from the path
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import os
import signal
import statistics
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

KEY = "sk_test_sandbox"
AUTH = {"Authorization": f"Bearer {KEY}"}
API = "/api/public/v1"
BODY = {
    "name": "Bench",
    "agent_id": "agt_sandbox_ready",
    "contact_source": "folder",
    "contact_folder_id": "folder_sandbox_demo",
}


@contextmanager
def process(args: list[str], banner: str) -> Iterator[str]:
    """A server subprocess; yields the URL its first line announces."""
    child = subprocess.Popen(
        [sys.executable, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert child.stdout is not None
    first = child.stdout.readline()
    assert first.startswith(banner), first
    url = next(word for word in first.split() if word.startswith("http://"))
    deadline = time.monotonic() + 15
    while True:  # the banner may come before the server listens
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline, f"{url} did not come up"
            time.sleep(0.05)
    try:
        yield url
    finally:
        child.send_signal(signal.SIGTERM)
        child.communicate(timeout=30)


def timings(base: str, count: int) -> dict[str, list[float]]:
    seen: dict[str, list[float]] = {"GET list": [], "POST create": [], "GET one": []}
    with httpx.Client(base_url=base + API, headers=AUTH, timeout=30) as client:
        for _ in range(20):  # warm-up
            client.get("/batch-calls", params={"limit": 5})
        batch = client.post("/batch-calls", json=BODY).json()["data"]["id"]
        for _ in range(count):
            for kind, send in (
                ("GET list", lambda: client.get("/batch-calls", params={"limit": 20})),
                ("POST create", lambda: client.post("/batch-calls", json=BODY)),
                ("GET one", lambda: client.get(f"/batch-calls/{batch}")),
            ):
                started = time.perf_counter()
                answer = send()
                seen[kind].append((time.perf_counter() - started) * 1000)
                assert answer.status_code < 300, answer.text
    return seen


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--requests", type=int, default=500, help="requests of each kind (default 500)")
    count = options.parse_args().requests
    sandbox_args = ["-m", "mock_server", "serve", "--port", "0"]
    with process(sandbox_args, "Batch Calls sandbox listening on") as sandbox:
        direct = timings(sandbox, count)
        with process(
            ["-m", "contracts", "proxy", "--target", sandbox, "--port", "0"], "contract proxy listening on"
        ) as proxy:
            proxied = timings(proxy, count)
            findings = len(httpx.get(proxy + "/_contract/report").json()["findings"])
    print(f"{count} requests of each kind, sequential, keep-alive (ms)")
    print(
        f"{'request':12} {'direct p50':>11} {'p95':>7} {'p99':>7} {'proxied p50':>12} {'p95':>7} {'p99':>7}"
        f" {'added p50':>10}"
    )
    for kind in direct:
        d, p = direct[kind], proxied[kind]
        print(
            f"{kind:12} {statistics.median(d):11.2f} {quantile(d, 0.95):7.2f} {quantile(d, 0.99):7.2f}"
            f" {statistics.median(p):12.2f} {quantile(p, 0.95):7.2f} {quantile(p, 0.99):7.2f}"
            f" {statistics.median(p) - statistics.median(d):10.2f}"
        )
    print(f"findings reported by the proxy: {findings}")


if __name__ == "__main__":
    main()
