"""Signed webhook delivery: an outbox drained by a background task, retried with back-off.

Nothing waits on a receiver: recording an event only appends to the outbox. A delivery is retried
until the receiver answers 2xx; while it keeps failing the waits grow exponentially up to a cap,
so an event is never dropped, and every attempt is recorded.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import orjson

from mock_server.core.timefmt import timestamp

SIGNATURE_HEADER = "X-Truedy-Signature"
TIMESTAMP_HEADER = "X-Truedy-Timestamp"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of `timestamp + "." + raw body`, keyed by the workspace's secret."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def backoff(attempt: int, base: float, cap: float) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based): base, 2·base, 4·base… ≤ cap."""
    return float(min(cap, base * 2 ** (attempt - 1)))


@dataclass(slots=True)
class Attempt:
    attempt: int
    at: float  # wall clock, POSIX seconds
    status_code: int | None
    error: str | None


@dataclass(slots=True)
class Delivery:
    id: str
    workspace_id: str
    event_id: str
    event_type: str
    url: str
    secret: str
    body: bytes
    state: Literal["pending", "delivered"] = "pending"
    next_attempt_at: float = 0.0  # monotonic clock
    attempts: list[Attempt] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class WebhookPolicy:
    retry_base_seconds: float = 1.0
    retry_cap_seconds: float = 300.0
    timeout_seconds: float = 5.0
    parallel: int = 8


class Outbox:
    def __init__(self, policy: WebhookPolicy) -> None:
        self.policy = policy
        self._deliveries: list[Delivery] = []
        self._wake = asyncio.Event()

    def enqueue(self, delivery: Delivery) -> None:
        self._deliveries.append(delivery)
        self._wake.set()

    def all(self) -> list[Delivery]:
        return list(self._deliveries)

    def deliveries(self, workspace_id: str) -> list[Delivery]:
        return [d for d in self._deliveries if d.workspace_id == workspace_id]

    def pending(self) -> int:
        return sum(1 for d in self._deliveries if d.state == "pending")

    def clear(self) -> None:
        self._deliveries.clear()

    def forget(self, workspace_id: str) -> None:
        """A workspace's world was reset: its deliveries are gone, sent or not."""
        self._deliveries = [d for d in self._deliveries if d.workspace_id != workspace_id]

    async def run(self) -> None:
        """Drain the outbox forever (cancel the task to stop)."""
        limit = asyncio.Semaphore(self.policy.parallel)
        in_flight: set[str] = set()
        async with httpx.AsyncClient(timeout=self.policy.timeout_seconds) as client:
            while True:
                now = time.monotonic()
                due = [d for d in self._deliveries
                       if d.state == "pending" and d.next_attempt_at <= now and d.id not in in_flight]
                for delivery in due:
                    in_flight.add(delivery.id)
                    asyncio.create_task(self._attempt(client, delivery, limit, in_flight))
                waits = [d.next_attempt_at - now for d in self._deliveries
                         if d.state == "pending" and d.id not in in_flight]
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=max(0.01, min(waits, default=1.0)))
                except TimeoutError:
                    pass

    async def _attempt(self, client: httpx.AsyncClient, delivery: Delivery,
                       limit: asyncio.Semaphore, in_flight: set[str]) -> None:
        async with limit:
            stamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(delivery.secret, stamp, delivery.body),
                TIMESTAMP_HEADER: stamp,
                "User-Agent": "batchcalls-sandbox-webhooks",
            }
            status: int | None = None
            error: str | None = None
            try:
                response = await client.post(delivery.url, content=delivery.body, headers=headers)
                status = response.status_code
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            delivery.attempts.append(Attempt(len(delivery.attempts) + 1, time.time(), status, error))
            if status is not None and 200 <= status < 300:
                delivery.state = "delivered"
            else:
                wait = backoff(len(delivery.attempts), self.policy.retry_base_seconds,
                               self.policy.retry_cap_seconds)
                delivery.next_attempt_at = time.monotonic() + wait
        in_flight.discard(delivery.id)
        self._wake.set()


def delivery_json(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "event_id": d.event_id,
        "event": d.event_type,
        "url": d.url,
        "state": d.state,
        "attempts": [
            {"attempt": a.attempt, "at": timestamp(a.at), "status_code": a.status_code, "error": a.error}
            for a in d.attempts
        ],
        "body": orjson.loads(d.body),
    }
