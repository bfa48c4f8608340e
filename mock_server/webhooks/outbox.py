"""Signed webhook delivery: an outbox drained by a background task, retried with back-off.

Nothing waits on a receiver: recording an event only queues a delivery. A delivery is retried
until the receiver answers 2xx, with waits that grow exponentially up to a cap, and abandoned
after `max_attempts`; every attempt is recorded. What waits and what is kept is bounded per
workspace (`queue.py`); how an attempt reaches its receiver, and which receivers it may reach, is
`sender.py`'s and `addresses.py`'s.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable

from mock_server.webhooks.addresses import ReceiverRefused
from mock_server.webhooks.delivery import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Attempt,
    Delivery,
    WebhookPolicy,
    backoff,
    sign,
)
from mock_server.webhooks.queue import DeliveryQueue
from mock_server.webhooks.sender import Sender

# characters of an attempt's error kept: the outbox's bound counts bytes, not only attempts
ERROR_TEXT_LIMIT = 300
# what became of an attempt: delivered (a 2xx), rejected (another status), failed (no answer)
ATTEMPT_RESULTS = ("delivered", "rejected", "failed")


class Outbox:
    def __init__(self, policy: WebhookPolicy, exists: Callable[[str], bool] = lambda _: True) -> None:
        self.policy = policy
        self.exists = exists  # whether a workspace is still there: a removed one's deliveries go
        self._queue = DeliveryQueue(policy)
        self._wake = asyncio.Event()
        # attempts this process made, by result (GET /_mock/metrics); never cleared
        self.attempts = dict.fromkeys(ATTEMPT_RESULTS, 0)

    def enqueue(self, delivery: Delivery) -> None:
        self._queue.add(delivery)
        self._wake.set()

    def all(self) -> list[Delivery]:
        return list(self._queue.all())

    def deliveries(self, workspace_id: str) -> list[Delivery]:
        return self._queue.deliveries(workspace_id)

    def dropped(self, workspace_id: str) -> int:
        """Deliveries of the workspace dropped because `policy.pending` of them were waiting."""
        return self._queue.dropped(workspace_id)

    def pending(self) -> int:
        return self._queue.waiting()

    def clear(self) -> None:
        self._queue.clear()

    def forget(self, workspace_id: str) -> None:
        """A workspace's world was reset or removed: its deliveries are gone, sent or not."""
        self._queue.forget(workspace_id)

    async def run(self) -> None:
        """Drain the outbox forever (cancel the task to stop: attempts in flight are cancelled and
        awaited before the connections close, so nothing is left behind). It sleeps until the next
        delivery is due or an attempt ends: a backlog waiting out its back-off costs nothing."""
        queue = self._queue
        tasks: set[asyncio.Task[None]] = set()
        async with Sender(self.policy) as sender:
            try:
                while True:
                    self._wake.clear()
                    queue.release_due(time.monotonic())
                    while (delivery := queue.start_next(self.exists)) is not None:
                        task = asyncio.create_task(self._attempt_and_finish(sender, delivery))
                        tasks.add(task)
                        task.add_done_callback(tasks.discard)
                    # asyncio.wait, not wait_for: Python 3.11's wait_for can swallow the cancel that
                    # stops this loop when the wake-up lands at the same moment (shutdown would hang)
                    waiter = asyncio.ensure_future(self._wake.wait())
                    try:
                        await asyncio.wait({waiter}, timeout=queue.seconds_until_due(time.monotonic()))
                    finally:
                        waiter.cancel()
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    async def _attempt_and_finish(self, sender: Sender, delivery: Delivery) -> None:
        try:
            await self._attempt(sender, delivery)
        finally:
            self._queue.finish(delivery)
            self._wake.set()

    async def _attempt(self, sender: Sender, delivery: Delivery) -> None:
        """One attempt at `delivery` (the cluster claims it first; the state file notes success)."""
        await self._post(sender, delivery)

    async def _post(self, sender: Sender, delivery: Delivery) -> None:
        stamp = str(int(time.time()) + delivery.timestamp_offset)
        headers = [
            (b"Content-Type", b"application/json"),
            (SIGNATURE_HEADER.encode(), sign(delivery.secret, stamp, delivery.body).encode()),
            (TIMESTAMP_HEADER.encode(), stamp.encode()),
            (b"User-Agent", b"batchcalls-sandbox-webhooks"),
        ]
        status: int | None = None
        error: str | None = None
        sent_at, started = time.time(), time.monotonic()
        took: float | None = None
        deadline = self.policy.timeout_seconds
        try:
            status = await sender.post(delivery.url, headers, delivery.body, deadline)
            took = time.monotonic() - started
        except TimeoutError:
            error = f"deadline exceeded: no complete answer within {deadline:g} s"
        except ReceiverRefused as exc:
            error = f"refused: {exc}"
        except socket.gaierror as exc:
            error = f"name lookup failed: {exc.strerror or exc}"
        except Exception as exc:  # noqa: BLE001 (any receiver failure is this attempt's, recorded)
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if error is not None and len(error) > ERROR_TEXT_LIMIT:  # a bad status line is quoted whole
            error = error[: ERROR_TEXT_LIMIT - 1] + "…"
        result = "failed" if status is None else "delivered" if 200 <= status < 300 else "rejected"
        self.attempts[result] += 1
        self.conclude(delivery, Attempt(len(delivery.attempts) + 1, sent_at, status, error, took))

    def conclude(self, delivery: Delivery, attempt: Attempt) -> None:
        """Record an attempt's outcome: delivered, answered, abandoned, or the next attempt after a
        back-off."""
        status = attempt.status_code
        delivery.attempts.append(attempt)
        if status is not None and 200 <= status < 300 and delivery.retry:
            delivery.state = "delivered"
        elif status is not None and not delivery.retry:
            delivery.state = "answered"  # a readiness challenge: sent once, whatever it is answered
        elif len(delivery.attempts) >= self.policy.max_attempts:
            delivery.state = "abandoned"
        else:
            wait = backoff(len(delivery.attempts), self.policy.retry_base_seconds,
                           self.policy.retry_cap_seconds)
            delivery.next_attempt_at = time.monotonic() + wait
