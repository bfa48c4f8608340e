"""The server's CPU while N webhook deliveries wait for a receiver that is down.

Starts `batchcalls-mock serve --clock manual --quiet` with the default workspace's receiver on a
loopback port where nothing listens (every attempt is refused at once), runs one campaign whose
events make about N deliveries, lets the first attempts happen, then reads the server's CPU time
(user + system, from /proc) over a window of wall-clock seconds. The deliveries back off (1, 2, 4 …
up to 300 s between attempts), so the default window sees a few rounds of attempts: it measures
what a backlog costs, attempts included (the attempts made in the window are printed, and the CPU
per attempt). `--warmup 34 --seconds 24` opens the window after the sixth round (31 s) and closes
it before the seventh (63 s): what waiting alone costs.

    python benchmarks/webhook_backlog.py [--deliveries 2080] [--seconds 30] [--warmup 5]
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import time

# benchmarks/http.py must not shadow the standard http: this folder off the path, the project's root on it
sys.path = [p for p in sys.path if os.path.abspath(p) != os.path.dirname(os.path.abspath(__file__))]
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import httpx  # noqa: E402

from benchmarks.processes import cpu_seconds, start_sandbox  # noqa: E402

API = "/api/public/v1"
AUTH = {"Authorization": "Bearer sk_test_sandbox"}


def dead_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def queue_deliveries(base: str, wanted: int) -> int:
    """One campaign (two events a call, plus the batch's own): returns how many were queued."""
    contacts = max(1, (wanted - 4) // 2)
    body = {"name": "backlog", "agent_id": "agt_sandbox_ready", "max_concurrent_calls": 100,
            "working_days": [1, 2, 3, 4, 5, 6, 7],
            "contacts": [{"phone_number": f"+1415{n:07d}"} for n in range(contacts)]}
    with httpx.Client(base_url=base, timeout=60) as http:
        batch = http.post(f"{API}/batch-calls", json=body, headers=AUTH).raise_for_status().json()
        http.post(f"{API}/batch-calls/{batch['data']['id']}/schedule", headers=AUTH).raise_for_status()
        http.post("/_mock/clock/advance", json={"seconds": 7 * 86400}).raise_for_status()
        return len(http.get("/_mock/events").json()["data"])


def attempts(base: str) -> tuple[int, int]:
    """(deliveries pending, attempts made so far)."""
    found = httpx.get(f"{base}/_mock/webhooks/deliveries", timeout=60).json()["data"]
    return sum(d["state"] == "pending" for d in found), sum(len(d["attempts"]) for d in found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=2080)
    parser.add_argument("--seconds", type=float, default=30.0, help="the measured window")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds before the window opens")
    args = parser.parse_args()
    process, base = start_sandbox("--clock", "manual", "--start-at", "2026-03-02T08:00:00Z", "--quiet",
                                  "--webhook-url", f"http://127.0.0.1:{dead_port()}/hooks")
    try:
        queued = queue_deliveries(base, args.deliveries)
        time.sleep(args.warmup)
        _, before = attempts(base)
        start_cpu, start = cpu_seconds(process.pid), time.monotonic()
        time.sleep(args.seconds)
        used, took = cpu_seconds(process.pid) - start_cpu, time.monotonic() - start
        pending, after = attempts(base)
    finally:
        process.terminate()
        process.communicate(timeout=20)
    print(f"deliveries queued         {queued}")
    print(f"still pending             {pending}")
    print(f"attempts in the window    {after - before}")
    print(f"server CPU in the window  {used:.2f} s of {took:.1f} s = {100 * used / took:.1f} % of a core")
    if after > before:
        print(f"CPU per attempt           {1000 * used / (after - before):.2f} ms")


if __name__ == "__main__":
    main()
