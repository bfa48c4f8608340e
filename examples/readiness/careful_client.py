"""A careful Batch Calls client: the behaviour the readiness report grades `ready`.

- every POST carries an X-Idempotency-Key made once per operation, and a retry resends the very
  same key and body;
- 429 and 5xx are retried only after Retry-After (or a growing back-off), and the wait holds for
  every request of the workspace, not just the refused one;
- the webhook receiver checks X-Truedy-Signature (HMAC-SHA256 of `timestamp + "." + raw body`) and
  refuses timestamps more than 5 minutes away, then acknowledges at once and dedupes by event id;
- lists are read page after page while `has_more` is true;
- progress comes from webhooks, not from polling.

Run it against a sandbox: `python examples/readiness/careful_client.py --base-url http://127.0.0.1:8080`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import sys
import threading
import time
import uuid
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
    webhook_secret,
)

RETRYABLE = {429, 500, 502, 503, 504}
MAX_ATTEMPTS = 5
TIMESTAMP_TOLERANCE_SECONDS = 300
CAMPAIGN = {
    "name": "Readiness check",
    "agent_id": "agt_sandbox_ready",
    "contacts": [{"phone_number": "+15550100001"}, {"phone_number": "+15550100002"}],
}


class CarefulApi:
    """The Batch Calls API with retries that are safe to make."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self._not_before = 0.0  # monotonic: a Retry-After holds every request of the workspace
        self._lock = threading.Lock()

    def request(
        self, method: str, path: str, *, body: Any = None, params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        if method == "POST" and idempotency_key is None:
            idempotency_key = str(uuid.uuid4())  # one key per operation, made before the first try
        headers = {"X-Idempotency-Key": idempotency_key} if idempotency_key else {}
        for attempt in range(1, MAX_ATTEMPTS + 1):
            self._wait_turn()
            try:
                response = self.http.request(method, path, json=body, params=params, headers=headers)
            except httpx.TransportError:
                if attempt == MAX_ATTEMPTS:
                    raise
                self._hold(2 ** (attempt - 1))
                continue
            in_progress = response.status_code == 409 and _code(response) == "idempotency_request_in_progress"
            if (response.status_code in RETRYABLE or in_progress) and attempt < MAX_ATTEMPTS:
                self._hold(_retry_after(response) or 2 ** (attempt - 1))
                continue
            return response
        raise AssertionError("unreachable")

    def read_all(self, path: str, params: dict[str, Any] | None = None, limit: int = 2) -> list[Any]:
        """Every item of a list: the next page while `has_more` says there is one."""
        items: list[Any] = []
        offset = 0
        while True:
            page = self.request("GET", path, params={**(params or {}), "limit": limit, "offset": offset})
            page.raise_for_status()
            body = page.json()
            items += body["data"]
            if not body["pagination"]["has_more"]:
                return items
            offset = body["pagination"]["offset"] + body["pagination"]["limit"]

    def _hold(self, seconds: float) -> None:
        with self._lock:
            self._not_before = max(self._not_before, time.monotonic() + seconds + 0.05)

    def _wait_turn(self) -> None:
        with self._lock:
            wait = self._not_before - time.monotonic()
        if wait > 0:
            time.sleep(wait)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None


def _code(response: httpx.Response) -> str | None:
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
    return code if isinstance(code, str) else None


class VerifyingReceiver:
    """Checks each delivery before trusting it; answers fast; dedupes by event id."""

    def __init__(self, secret: str) -> None:
        self.secret = secret.encode()
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.rejected = 0
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, headers: dict[str, str], body: bytes) -> int:
        stamp = headers.get("x-truedy-timestamp", "")
        expected = hmac.new(self.secret, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("x-truedy-signature", "")):
            return self._reject(401)
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > TIMESTAMP_TOLERANCE_SECONDS:
            return self._reject(400)  # signed, but old: a replay of a captured delivery
        event = json.loads(body)
        with self._lock:
            if event["id"] in self._seen:
                return 200  # a redelivery: already have it
            self._seen.add(event["id"])
        self.events.put(event)  # the work happens elsewhere; the sender gets its 2xx now
        return 200

    def _reject(self, status: int) -> int:
        with self._lock:
            self.rejected += 1
        return status


def run(base_url: str, api_key: str, admin_token: str | None = None) -> dict[str, Any]:
    with control(base_url, api_key, admin_token) as sandbox, api_client(base_url, api_key) as http:
        return _session(sandbox, CarefulApi(http))


def _session(sandbox: httpx.Client, api: CarefulApi) -> dict[str, Any]:
    deliveries = VerifyingReceiver(webhook_secret(sandbox))
    with receiver(deliveries) as url:
        set_receiver(sandbox, url)
        arm(sandbox)
        agents = api.read_all("/agents")
        print(f"{len(agents)} agents, read page by page")
        created = api.request("POST", "/batch-calls", body=CAMPAIGN)  # 503 first: retried, same key
        created.raise_for_status()
        batch = created.json()["data"]
        print(f"created {batch['id']}")
        api.request("POST", f"/batch-calls/{batch['id']}/schedule", body={}).raise_for_status()
        event = deliveries.events.get(timeout=20)  # webhooks tell us, no polling
        print(f"webhook: {event['event']} {event['data']}")
        status = api.request("GET", f"/batch-calls/{batch['id']}").json()["data"]["status"]
        print(f"{batch['id']} is {status}")  # one read when told something changed, not a loop
        deadline = time.monotonic() + 20
        while deliveries.rejected < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        print(f"rejected {deliveries.rejected} forged or stale deliveries")
        return finish(sandbox, settled_report(sandbox))


if __name__ == "__main__":
    sys.exit(main(__doc__ or "", run))
