"""A world's client readiness session: the glue between the pure `readiness` package, the request
pipeline (the challenges and the exchanges it saw), the webhook outbox and the control API.

A world has at most one, armed by `POST /_mock/readiness/start` (arming again starts over; a reset
of the world ends it). The pipeline consults it only when the request's world has one, so an
unarmed world pays one attribute read per request.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from mock_server.core.errors import MockError, RateLimited, ServiceUnavailable
from mock_server.core.timefmt import timestamp
from mock_server.readiness import (
    Challenges,
    DeliveryAttempt,
    Report,
    Session,
    WebhookDelivery,
    exchange_from_entry,
    grade,
    signing_for,
)
from mock_server.webhooks import Delivery

MAX_EXCHANGES = 10_000  # per session; past it the oldest are dropped (as the journal's default)
CHALLENGES = [
    "One POST /batch-calls is answered 503 with Retry-After: 1 before anything is created.",
    "The first request after the first successful create is answered 429 with Retry-After: 2.",
    "With a webhook receiver configured, one delivery is signed with the wrong secret.",
    "With a webhook receiver configured, one delivery carries a valid signature over a timestamp "
    "10 minutes old.",
    "Send the same X-Idempotency-Key twice at once to a sandbox started with --latency-ms 500: the "
    "second is 409 idempotency_request_in_progress.",
]


@dataclass(slots=True)
class ReadinessSession:
    workspace_id: str
    started_at: float  # wall clock
    receiver_seen: bool = False  # a webhook receiver was set at some point of the session
    challenges: Challenges = field(default_factory=Challenges)
    exchanges: list[dict[str, Any]] = field(default_factory=list)  # journal-shaped entries
    delivery_ids: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"workspace_id": self.workspace_id, "started_at": timestamp(self.started_at),
                "challenges": CHALLENGES}

    # the request pipeline ----------------------------------------------------------------------
    def challenge(self, request_id: str, method: str, operation_id: str, now: float) -> MockError | None:
        """The deliberate error this request meets, if the session has one for it."""
        injected = self.challenges.before_request(request_id, method, operation_id)
        if injected is None:
            return None
        if injected.status == 429:
            reset_at = timestamp(now + injected.retry_after) or ""
            return RateLimited(100, "minute (readiness challenge)", reset_at, injected.retry_after)
        error = ServiceUnavailable("the service is temporarily unavailable (readiness challenge); retry "
                                   f"after {injected.retry_after} s with the same idempotency key")
        error.retry_after = injected.retry_after
        return error

    def observe(self, entry: dict[str, Any]) -> None:
        """One answered request of the world, in the request journal's shape."""
        self.challenges.after_response(entry["method"], entry["operation_id"], entry["status"])
        self.exchanges.append(entry)
        if len(self.exchanges) > MAX_EXCHANGES:
            del self.exchanges[0]

    # the webhook outbox ------------------------------------------------------------------------
    def challenge_deliveries(self, real: Delivery) -> list[Delivery]:
        """Note a real delivery; with the first one, the two challenge deliveries to queue too."""
        self.receiver_seen = True
        self.delivery_ids.append(real.id)
        extra: list[Delivery] = []
        for kind in self.challenges.webhook_challenges_due():
            signing = signing_for(kind, real.secret)
            entry = orjson.loads(real.body)
            entry["id"] = f"{entry['id']}_{kind}"  # its own event id: graded on the check, not on dedupe
            extra.append(
                Delivery(
                    id=f"{real.id}_{kind}", workspace_id=real.workspace_id, event_id=entry["id"],
                    event_type=real.event_type, url=real.url, secret=signing.secret,
                    body=orjson.dumps(entry), kind=kind, timestamp_offset=signing.timestamp_offset_seconds,
                    retry=False,
                )
            )
            self.delivery_ids.append(extra[-1].id)
        return extra

    # the report --------------------------------------------------------------------------------
    def report(self, deliveries: Iterable[Delivery], receiver_set: bool) -> Report:
        self.receiver_seen = self.receiver_seen or receiver_set
        ids = set(self.delivery_ids)
        graded = Session(
            exchanges=[exchange_from_entry(e) for e in self.exchanges],
            deliveries=[_delivery_view(d) for d in deliveries if d.id in ids],
            unavailable_request_id=self.challenges.unavailable_request_id,
            receiver_configured=self.receiver_seen,
        )
        return grade(graded, self.workspace_id, timestamp(self.started_at) or "")


def _delivery_view(d: Delivery) -> WebhookDelivery:
    attempts = tuple(DeliveryAttempt(a.status_code, a.at, a.answered_in_seconds) for a in d.attempts)
    kind = d.kind if d.kind in ("bad_signature", "stale_timestamp") else "real"
    return WebhookDelivery(d.id, kind, attempts)  # type: ignore[arg-type]
