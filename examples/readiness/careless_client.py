"""A careless Batch Calls client: what the readiness report is there to catch.

It works on a good day, and it is `not_ready`:
- no X-Idempotency-Key, so a retried create can launch the campaign twice;
- on 429 or 5xx it retries at once, ignoring Retry-After;
- its webhook receiver answers 200 to anything, signed or not, fresh or not;
- it polls the batch call in a tight loop instead of waiting for webhooks;
- it reads only the first page of a list.

Run it against a sandbox: `python examples/readiness/careless_client.py --base-url http://127.0.0.1:8080`.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

import httpx
from sandbox_session import (
    api_client,
    arm,
    control,
    finish,
    main,
    receiver,
    set_receiver,
    settled_report,
)

CAMPAIGN = {
    "name": "Readiness check",
    "agent_id": "agt_sandbox_ready",
    "contacts": [{"phone_number": "+15550100001"}, {"phone_number": "+15550100002"}],
}
MIN_POLLS = 80  # the tight loop's reads of one batch call; over 60 in a minute earns the warning


class CarelessApi:
    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def request(self, method: str, path: str, body: Any = None) -> httpx.Response:
        for _ in range(5):  # "just try again"
            response = self.http.request(method, path, json=body)
            if response.status_code not in (429, 500, 502, 503, 504):
                return response
        return response


class TrustingReceiver:
    def __init__(self) -> None:
        self.received = 0
        self._lock = threading.Lock()

    def __call__(self, headers: dict[str, str], body: bytes) -> int:
        with self._lock:
            self.received += 1
        return 200  # no signature check, no timestamp check


def run(base_url: str, api_key: str, admin_token: str | None = None) -> dict[str, Any]:
    with control(base_url, api_key, admin_token) as sandbox, api_client(base_url, api_key) as http:
        return _session(sandbox, CarelessApi(http))


def _session(sandbox: httpx.Client, api: CarelessApi) -> dict[str, Any]:
    deliveries = TrustingReceiver()
    with receiver(deliveries) as url:
        set_receiver(sandbox, url)
        arm(sandbox)
        agents = api.http.get("/agents", params={"limit": 2}).json()["data"]  # the first page only
        print(f"{len(agents)} agents (there may be more)")
        batch = api.request("POST", "/batch-calls", CAMPAIGN).json()["data"]
        api.request("POST", f"/batch-calls/{batch['id']}/schedule", {}).raise_for_status()
        polls = 0
        while polls < MIN_POLLS or (deliveries.received < 3 and polls < 5000):
            api.http.get(f"/batch-calls/{batch['id']}")  # "is it done yet?"
            polls += 1
        print(f"polled {polls} times; the receiver accepted {deliveries.received} deliveries")
        return finish(sandbox, settled_report(sandbox))


if __name__ == "__main__":
    sys.exit(main(__doc__ or "", run))
