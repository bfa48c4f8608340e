"""Readiness sessions of the sandbox's workspaces: the glue between the pure `readiness` package,
the request pipeline (challenges and the exchanges it saw), the webhook outbox and the control API.

One session per workspace, armed by `POST /_mock/readiness/start` (arming again starts over). The
pipeline consults `challenge` and reports to `observe` only while some session is armed (`armed`),
so an unarmed sandbox pays one attribute read per request.
"""

from __future__ import annotations

import time
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


@dataclass(slots=True)
class ReadinessSession:
    workspace_id: str
    started_at: float  # wall clock
    challenges: Challenges = field(default_factory=Challenges)
    exchanges: list[dict[str, Any]] = field(default_factory=list)  # journal-shaped entries
    delivery_ids: list[str] = field(default_factory=list)
    receiver_seen: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "workspace_id": self.workspace_id,
            "started_at": timestamp(self.started_at),
            "challenges": [
                "the first POST /batch-calls is answered 503 with Retry-After: 1, before anything is created",
                "the first request after the first successful create is answered 429 with Retry-After: 2",
                "with a webhook receiver set, the first real delivery comes with one delivery signed with a "
                "wrong secret and one signed correctly with a timestamp 10 minutes old",
                "409 idempotency_request_in_progress: send two creates with the same key at once to a "
                "sandbox started with --latency-ms 500",
            ],
        }


class ReadinessSessions:
    def __init__(self) -> None:
        self._sessions: dict[str, ReadinessSession] = {}
        self.armed = False

    def start(self, workspace_id: str, receiver_set: bool) -> ReadinessSession:
        session = ReadinessSession(workspace_id, time.time(), receiver_seen=receiver_set)
        self._sessions[workspace_id] = session
        self.armed = True
        return session

    def get(self, workspace_id: str) -> ReadinessSession | None:
        return self._sessions.get(workspace_id)

    def clear(self) -> None:
        self._sessions.clear()
        self.armed = False

    # the request pipeline ----------------------------------------------------------------------
    def challenge(
        self, workspace_id: str, request_id: str, method: str, operation_id: str, now: float
    ) -> MockError | None:
        """The deliberate error this request meets, if its workspace's session has one for it."""
        session = self._sessions.get(workspace_id)
        injected = session.challenges.before_request(request_id, method, operation_id) if session else None
        if injected is None:
            return None
        if injected.status == 429:
            reset_at = timestamp(now + injected.retry_after) or ""
            return RateLimited(100, "minute (readiness challenge)", reset_at, injected.retry_after)
        error = ServiceUnavailable("the service is temporarily unavailable (readiness challenge); retry "
                                   f"after {injected.retry_after} s with the same idempotency key")
        error.retry_after = injected.retry_after
        return error

    def observe(self, workspace_id: str, entry: dict[str, Any]) -> None:
        """One answered request of the workspace, in the request journal's shape."""
        session = self._sessions.get(workspace_id)
        if session is None:
            return
        session.challenges.after_response(entry["method"], entry["operation_id"], entry["status"])
        session.exchanges.append(entry)
        if len(session.exchanges) > MAX_EXCHANGES:
            del session.exchanges[0]

    # the webhook outbox ------------------------------------------------------------------------
    def challenge_deliveries(self, real: Delivery) -> list[Delivery]:
        """Note a real delivery; with the first one, the two challenge deliveries to queue too."""
        session = self._sessions.get(real.workspace_id)
        if session is None:
            return []
        session.receiver_seen = True
        session.delivery_ids.append(real.id)
        extra: list[Delivery] = []
        for kind in session.challenges.webhook_challenges_due():
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
            session.delivery_ids.append(extra[-1].id)
        return extra

    # the report --------------------------------------------------------------------------------
    def report(self, workspace_id: str, deliveries: Iterable[Delivery], receiver_set: bool) -> Report | None:
        session = self._sessions.get(workspace_id)
        if session is None:
            return None
        session.receiver_seen = session.receiver_seen or receiver_set
        ids = set(session.delivery_ids)
        graded = Session(
            exchanges=[exchange_from_entry(e) for e in session.exchanges],
            deliveries=[_delivery_view(d) for d in deliveries if d.id in ids],
            unavailable_request_id=session.challenges.unavailable_request_id,
            receiver_configured=session.receiver_seen,
        )
        return grade(graded, workspace_id, timestamp(session.started_at) or "")


def _delivery_view(d: Delivery) -> WebhookDelivery:
    attempts = tuple(DeliveryAttempt(a.status_code, a.at, a.answered_in_seconds) for a in d.attempts)
    kind = d.kind if d.kind in ("bad_signature", "stale_timestamp") else "real"
    return WebhookDelivery(d.id, kind, attempts)  # type: ignore[arg-type]
