"""The API's latency while many worlds run campaigns on real clocks, next to an idle sandbox.

Starts `batchcalls-mock serve --clock real --speed 3600` (an hour a second), creates N workspaces
(each a world with its own real clock) and in each a 100-contact campaign, one call at a time and
at most 5 dials a simulated day (20 simulated days: 8 minutes), so every campaign keeps running
for the whole measurement. Then
`wrk` measures GET /batch-calls/{id} of the default workspace: once before any campaign runs, once
while all of them do. Also prints how many simulated events the worlds ran meanwhile and the
server's CPU time.

    python benchmarks/worlds.py [--workspaces 1000] [--duration 10]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

# benchmarks/http.py must not shadow the standard http: this folder off the path, the project's root on it
sys.path = [p for p in sys.path if os.path.abspath(p) != os.path.dirname(os.path.abspath(__file__))]
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import httpx  # noqa: E402

from benchmarks.processes import cpu_seconds, start_sandbox  # noqa: E402

API = "/api/public/v1"
CAMPAIGN = {
    "agent_id": "agt_sandbox_ready",
    "contact_source": "csv",
    "max_concurrent_calls": 1,
    "max_calls_per_day": 5,
    "working_days": [1, 2, 3, 4, 5, 6, 7],
    "contacts": [{"phone_number": f"+1415555{n:04d}"} for n in range(100)],
}


def campaign(base: str, n: int) -> str:
    with httpx.Client(base_url=base, timeout=30) as http:
        key = http.post("/_mock/workspaces").json()["api_key"]
        auth = {"Authorization": f"Bearer {key}"}
        made = http.post(f"{API}/batch-calls", json={**CAMPAIGN, "name": f"world {n}"}, headers=auth)
        batch_id = made.json()["data"]["id"]
        assert http.post(f"{API}/batch-calls/{batch_id}/schedule", headers=auth).status_code == 200
        return key


def wrk(url: str, seconds: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t1", "-c16", f"-d{seconds}s", "--latency", "-H", "Authorization: Bearer sk_test_sandbox",
         url],
        capture_output=True, text=True, check=True,
    ).stdout
    def ms(label: str) -> float:
        found = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out)
        assert found, out
        value, unit = float(found.group(1)), found.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert rate, out
    return {"req_s": float(rate.group(1)), "p50_ms": ms("50"), "p99_ms": ms("99")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=1000)
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    process, base = start_sandbox("--clock", "real", "--speed", "3600")
    try:
        with httpx.Client(base_url=base) as http:
            auth = {"Authorization": "Bearer sk_test_sandbox"}
            body = {**CAMPAIGN, "name": "measured", "contacts": CAMPAIGN["contacts"][:5]}
            batch_id = http.post(f"{API}/batch-calls", json=body, headers=auth).json()["data"]["id"]
        url = f"{base}{API}/batch-calls/{batch_id}"
        idle = wrk(url, args.duration)
        started = time.perf_counter()
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda n: campaign(base, n), range(args.workspaces)))
        setup = time.perf_counter() - started
        with httpx.Client(base_url=base) as http:
            before = sum(len(http.get("/_mock/events", headers={"Authorization": f"Bearer {w['api_key']}"})
                             .json()["data"]) for w in http.get("/_mock/workspaces").json()["data"][-5:])
        cpu_before = cpu_seconds(process.pid)
        busy = wrk(url, args.duration)
        cpu = cpu_seconds(process.pid) - cpu_before
        with httpx.Client(base_url=base) as http:
            worlds = http.get("/_mock/workspaces").json()["data"]
            running = 0
            for world in worlds[1:]:
                key = {"Authorization": f"Bearer {world['api_key']}"}
                statuses = [b["status"] for b in http.get(f"{API}/batch-calls", headers=key).json()["data"]]
                running += statuses.count("active") + statuses.count("scheduled")
            after = sum(len(http.get("/_mock/events", headers={"Authorization": f"Bearer {w['api_key']}"})
                            .json()["data"]) for w in worlds[-5:])
    finally:
        process.terminate()
        process.wait(timeout=10)
    print(json.dumps({
        "workspaces": args.workspaces,
        "campaigns_still_running": running,
        "setup_seconds": round(setup, 1),
        "idle": idle,
        "with_campaigns": busy,
        "events_in_5_sample_worlds_during_measurement": after - before,
        "server_cpu_seconds_during_measurement": round(cpu, 2),
    }, indent=2))


if __name__ == "__main__":
    main()
