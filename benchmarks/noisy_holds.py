"""How long each of the noisy tenant's requests holds the event loop, in process: ms.

    python benchmarks/noisy_holds.py [--repeat 3]

Every tenant is served by one event loop, so a quiet tenant's request waits as long as the longest
stretch the loop spends on someone else's request without handing it back. This calls the app
in this process (no server, no socket) with the requests of `noisy_tenant.py` against a full
journal, while a ticker task notes the longest gap between two of its turns: the hold. The least
of `--repeat` runs is shown (a gap can also be this process losing its CPU to another). Cheaper
and steadier than `noisy_neighbour.py` on a busy machine; it does not see the server's own costs
(HTTP parsing, socket writes).
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
import time
from collections.abc import Awaitable
from urllib.parse import quote

import httpx
from noisy_tenant import contacts_body, csv_body, fault_rule, padded_headers, template, zudu_body

from mock_server.app import create_app
from mock_server.cli import tune_garbage_collector
from mock_server.settings import Settings

API = "/api/public/v1"
START = 1772438400.0  # Monday 2026-03-02 08:00 UTC
AUTH = {"Authorization": "Bearer sk_test_sandbox"}
JSON = {**AUTH, "Content-Type": "application/json"}
ZUDU = {"X-API-KEY": "zk_test_sandbox", "X-API-SECRET": "zs_test_sandbox", "Content-Type": "application/json"}


async def hold_of(request: Awaitable[httpx.Response]) -> float:
    """The longest the loop went without a turn of a ticker while `request` was answered."""
    longest, done = 0.0, False

    async def ticker() -> None:
        nonlocal longest
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0)
            now = time.perf_counter()
            longest, last = max(longest, now - last), now

    ticking = asyncio.ensure_future(ticker())
    await asyncio.sleep(0)
    await request
    done = True
    await ticking
    return longest


async def measure(repeat: int) -> dict[str, float]:
    app = create_app(Settings(clock="manual", start_at=START, quiet=True, allow_private_webhooks=True))
    holds: dict[str, float] = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1",
                                 timeout=120) as http:
        for _ in range(99):
            await http.post("/_mock/faults", headers=JSON, content=fault_rule())
        campaign = {"name": "events", "agent_id": "agt_sandbox_ready", "max_concurrent_calls": 50,
                    "working_days": [1, 2, 3, 4, 5, 6, 7], "start_time": "00:00", "end_time": "23:59",
                    "contacts": [{"phone_number": f"+1415{c:07d}"} for c in range(100)]}
        await http.put("/_mock/webhooks", headers=JSON, json={"url": "http://127.0.0.1:9/hooks"})
        batch = (await http.post(f"{API}/batch-calls", headers=JSON, json=campaign)).json()["data"]["id"]
        await http.post(f"{API}/batch-calls/{batch}/schedule", headers=AUTH)
        await http.post("/_mock/clock/advance", headers=JSON, json={"seconds": 3600})
        await http.post("/_mock/readiness/start", headers=AUTH)  # armed after the create: no challenge
        for n in range(10_000):  # the journal full (its count bound) of small, varied requests
            await http.get(f"{API}/batch-calls/batch_missing{n}" if n % 2 else f"{API}/batch-calls?limit=5",
                           headers=AUTH)
        for _ in range(1_000):
            await http.post("/_mock/workspaces")
        heads = dict(padded_headers(list(AUTH.items()), "127.0.0.1"))
        valid, invalid, csv, zudu = contacts_body(True), contacts_body(False), csv_body(), zudu_body()
        requests = {
            "heads at the 431 limit, GET list": ("GET", f"{API}/batch-calls?limit=100", heads, b""),
            "create, 10,000 contacts (1 MiB)": ("POST", f"{API}/batch-calls", JSON, valid),
            "422, 10,000 violations (1 MiB)": ("POST", f"{API}/batch-calls", JSON, invalid),
            "CSV import, 10,000 rows (1 MiB)": ("POST", f"{API}/contacts/import",
                                                {**AUTH, "Content-Type": "text/csv"}, csv),
            "Zudu create, 1,000 tasks (1 MiB)": ("POST", "/batch-call", ZUDU, zudu),
            "fault rule added (at the cap)": ("POST", "/_mock/faults", JSON, fault_rule()),
            "journal page of 1,000": ("GET", "/_mock/requests?limit=1000", AUTH, b""),
            "journal count, 2 KiB template": ("GET", f"/_mock/requests/count?path={quote(template())}", AUTH,
                                              b""),
            "readiness report, JSON": ("GET", "/_mock/readiness", AUTH, b""),
            "readiness report, HTML": ("GET", "/_mock/readiness?format=html", AUTH, b""),
            "webhook deliveries listed": ("GET", "/_mock/webhooks/deliveries", AUTH, b""),
            "clock advanced 1 h (a campaign)": ("POST", "/_mock/clock/advance", JSON, b'{"seconds": 3600}'),
            "workspaces listed (1,000)": ("GET", "/_mock/workspaces", {}, b""),
            "quiet: GET one batch": ("GET", f"{API}/batch-calls/{batch}", AUTH, b""),
        }
        for _ in range(repeat):
            for label, (method, target, headers, body) in requests.items():
                hold = await hold_of(http.request(method, target, headers=headers, content=body))
                holds[label] = min(holds.get(label, hold), hold)
    return holds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each request; the least is shown")
    opts = parser.parse_args()
    tune_garbage_collector()  # as `serve` runs
    holds = asyncio.run(measure(opts.repeat))
    print(f"{'request of the noisy tenant':<38}{'longest hold ms':>16}")
    for label, hold in holds.items():
        print(f"{label:<38}{1000 * hold:>16.1f}")
    print(json.dumps({label: round(1000 * hold, 2) for label, hold in holds.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
