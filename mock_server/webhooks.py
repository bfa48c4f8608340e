"""Signed webhook delivery: an outbox drained by a background task, retried with back-off.

Nothing waits on a receiver: recording an event only appends to the outbox. A delivery is retried
until the receiver answers 2xx; while it keeps failing the waits grow exponentially up to a cap,
so an event is never dropped, and every attempt is recorded.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import time
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

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
    answered_in_seconds: float | None = None


@dataclass(slots=True)
class Delivery:
    id: str
    workspace_id: str
    event_id: str
    event_type: str
    url: str
    secret: str
    body: bytes
    state: Literal["pending", "delivered", "answered"] = "pending"
    next_attempt_at: float = 0.0  # monotonic clock
    attempts: list[Attempt] = field(default_factory=list)
    # a readiness challenge (bad_signature, stale_timestamp): signed oddly on purpose, and done
    # ("answered") at its first answer, whatever the status: a good receiver refuses it for ever
    kind: str = "real"
    timestamp_offset: int = 0
    retry: bool = True


@dataclass(frozen=True, slots=True)
class WebhookPolicy:
    retry_base_seconds: float = 1.0
    retry_cap_seconds: float = 300.0
    # the deadline of a whole attempt (connect, send, every read of the answer), not of one read:
    # a receiver that trickles its answer a byte at a time still ends its attempt on time
    timeout_seconds: float = 5.0
    # attempts in flight at once per receiver (URL origin): a slow receiver only ever holds its own
    per_receiver: int = 4


def origin(url: str) -> str:
    """The receiver a URL names: scheme, host and port (the path does not make another server)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.netloc else url


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
        """Drain the outbox forever (cancel the task to stop: attempts in flight are cancelled and
        awaited before the HTTP client closes, so nothing is left behind)."""
        in_flight: set[str] = set()
        busy: dict[str, int] = {}  # receiver origin -> attempts in flight
        slots: dict[str, asyncio.Semaphore] = {}
        tasks: set[asyncio.Task[None]] = set()
        # the deadline is enforced per attempt (below); httpx's own timeouts are per operation
        async with httpx.AsyncClient(timeout=self.policy.timeout_seconds) as client:
            try:
                while True:
                    now = time.monotonic()
                    for delivery in self._deliveries:
                        if delivery.state != "pending" or delivery.next_attempt_at > now:
                            continue
                        receiver = origin(delivery.url)
                        if delivery.id in in_flight or busy.get(receiver, 0) >= self.policy.per_receiver:
                            continue
                        in_flight.add(delivery.id)
                        busy[receiver] = busy.get(receiver, 0) + 1
                        limit = slots.setdefault(receiver, asyncio.Semaphore(self.policy.per_receiver))
                        task = asyncio.create_task(self._attempt(client, delivery, limit, in_flight))
                        tasks.add(task)
                        task.add_done_callback(functools.partial(self._done, receiver, busy, tasks))
                    waits = [d.next_attempt_at - now for d in self._deliveries
                             if d.state == "pending" and d.id not in in_flight]
                    self._wake.clear()
                    # asyncio.wait, not wait_for: Python 3.11's wait_for can swallow the cancel that
                    # stops this loop when the wake-up lands at the same moment (shutdown would hang)
                    waiter = asyncio.ensure_future(self._wake.wait())
                    try:
                        await asyncio.wait({waiter}, timeout=max(0.01, min(waits, default=1.0)))
                    finally:
                        waiter.cancel()
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    def _done(self, receiver: str, busy: dict[str, int], tasks: set[asyncio.Task[None]],
              task: asyncio.Task[None]) -> None:
        tasks.discard(task)
        busy[receiver] -= 1
        self._wake.set()

    async def _attempt(self, client: httpx.AsyncClient, delivery: Delivery,
                       limit: asyncio.Semaphore, in_flight: set[str]) -> None:
        try:
            async with limit:
                await self._post(client, delivery)
        finally:
            in_flight.discard(delivery.id)

    async def _post(self, client: httpx.AsyncClient, delivery: Delivery) -> None:
        stamp = str(int(time.time()) + delivery.timestamp_offset)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(delivery.secret, stamp, delivery.body),
            TIMESTAMP_HEADER: stamp,
            "User-Agent": "batchcalls-sandbox-webhooks",
        }
        status: int | None = None
        error: str | None = None
        sent_at, started = time.time(), time.monotonic()
        took: float | None = None
        deadline = self.policy.timeout_seconds
        try:
            async with asyncio.timeout(deadline):
                response = await client.post(delivery.url, content=delivery.body, headers=headers)
            status, took = response.status_code, time.monotonic() - started
        except TimeoutError:
            error = f"deadline exceeded: no complete answer within {deadline:g} s"
        except Exception as exc:  # noqa: BLE001 (any receiver failure is this attempt's, recorded)
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        self.conclude(delivery, Attempt(len(delivery.attempts) + 1, sent_at, status, error, took))

    def conclude(self, delivery: Delivery, attempt: Attempt) -> None:
        """Record an attempt's outcome: delivered, answered, or the next attempt after a back-off."""
        status = attempt.status_code
        delivery.attempts.append(attempt)
        if status is not None and 200 <= status < 300 and delivery.retry:
            delivery.state = "delivered"
        elif status is not None and not delivery.retry:
            delivery.state = "answered"  # a readiness challenge: sent once, whatever it is answered
        else:
            wait = backoff(len(delivery.attempts), self.policy.retry_base_seconds,
                           self.policy.retry_cap_seconds)
            delivery.next_attempt_at = time.monotonic() + wait


def delivery_json(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "event_id": d.event_id,
        "event": d.event_type,
        "kind": d.kind,
        "url": d.url,
        "state": d.state,
        "attempts": [
            {"attempt": a.attempt, "at": timestamp(a.at), "status_code": a.status_code, "error": a.error,
             "answered_in_seconds": a.answered_in_seconds}
            for a in d.attempts
        ],
        "body": orjson.loads(d.body),
    }
