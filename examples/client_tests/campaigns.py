"""A partner's client of the Batch Calls API: the few functions an integration needs.

It creates a campaign with an idempotency key (and retries a 429/503 after Retry-After with the
same key), schedules it, reads its results, and checks a webhook's signature.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

RETRIED = (429, 503)


class CampaignClient:
    def __init__(
        self, base_url: str, api_key: str, *, retries: int = 3, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.http = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {api_key}"}, timeout=10
        )
        self.retries = retries
        self.sleep = sleep  # tests pass their own: waiting is what they check, not what they do

    def close(self) -> None:
        self.http.close()

    def launch(self, name: str, folder_id: str, agent_id: str, **settings: Any) -> dict[str, Any]:
        """Create a campaign from a contact folder and start it; answers the scheduled batch."""
        body = {
            "name": name,
            "agent_id": agent_id,
            "contact_source": "folder",
            "contact_folder_id": folder_id,
            **settings,
        }
        batch = self._post("/batch-calls", body, key=f"create-{uuid.uuid4()}")
        return self._post(f"/batch-calls/{batch['id']}/schedule", None, key=f"schedule-{batch['id']}")

    def results(self, batch_id: str) -> dict[str, Any]:
        response = self.http.get(f"/batch-calls/{batch_id}/analytics")
        response.raise_for_status()
        data: dict[str, Any] = response.json()["data"]
        return data

    def _post(self, path: str, body: dict[str, Any] | None, *, key: str) -> dict[str, Any]:
        for attempt in range(self.retries + 1):
            response = self.http.post(path, json=body, headers={"X-Idempotency-Key": key})
            if response.status_code not in RETRIED or attempt == self.retries:
                break
            self.sleep(float(response.headers.get("Retry-After", "1")))  # then the same key: never twice
        response.raise_for_status()
        data: dict[str, Any] = response.json()["data"]
        return data


def webhook_is_genuine(secret: str, headers: dict[str, str], body: bytes, now: float) -> bool:
    """X-Truedy-Signature: hex HMAC-SHA256 of `timestamp + "." + raw body`, and a fresh timestamp."""
    timestamp = headers.get("x-truedy-timestamp", "")
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    fresh = timestamp.isdigit() and abs(now - int(timestamp)) <= 300
    return fresh and hmac.compare_digest(expected, headers.get("x-truedy-signature", ""))
