"""What a webhook delivery is: the event's signed body, where it goes, and every attempt so far.

Values only: the outbox (`outbox.py`) sends them, the queue (`queue.py`) decides when.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from mock_server.core.timefmt import timestamp

SIGNATURE_HEADER = "X-Truedy-Signature"
TIMESTAMP_HEADER = "X-Truedy-Timestamp"

State = Literal["pending", "delivered", "answered", "abandoned"]


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
    state: State = "pending"
    next_attempt_at: float = 0.0  # monotonic clock
    attempts: list[Attempt] = field(default_factory=list)
    # a readiness challenge (bad_signature, stale_timestamp): signed oddly on purpose, and done
    # ("answered") at its first answer, whatever the status: a good receiver refuses it for ever
    kind: str = "real"
    timestamp_offset: int = 0
    retry: bool = True


@dataclass(frozen=True, slots=True)
class WebhookPolicy:
    """How deliveries are retried and bounded (README, "Webhook deliveries")."""

    retry_base_seconds: float = 1.0
    retry_cap_seconds: float = 300.0
    # a delivery still failing after this many attempts (about an hour with the defaults) is
    # abandoned: its attempts list, and the time it is retried, are bounded
    max_attempts: int = 20
    # the deadline of a whole attempt (name lookup, connect, send, every read of the answer), not of
    # one read: a receiver that trickles its answer a byte at a time still ends its attempt on time
    timeout_seconds: float = 5.0
    # attempts in flight at once per workspace, and in all: a workspace's slow receiver only ever
    # holds its own slots, and the shared ones are several workspaces' worth
    per_workspace: int = 4
    in_flight: int = 64
    # deliveries waiting per workspace (the oldest waiting is dropped past it, and counted), and
    # finished ones (delivered, answered, abandoned) kept for GET /_mock/webhooks/deliveries
    pending: int = 10_000
    history: int = 1_000
    # loopback and private receivers (the CLI allows them when the sandbox listens on loopback)
    allow_private: bool = False


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
