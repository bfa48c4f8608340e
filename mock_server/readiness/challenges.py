"""The challenges of an armed readiness session, as a pure state machine.

Once armed (`POST /_mock/readiness/start`), the session, once each:
1. answers the first `POST /batch-calls` with 503 and `Retry-After: 1`, before creating anything;
2. answers the first request after the first successful create with 429 and `Retry-After: 2`
   (a "later request": never the retry of the 503, so the two challenges test two things);
3. alongside the first real webhook delivery (a receiver being set), queues one delivery signed
   with a wrong secret and one signed correctly with a timestamp 10 minutes old.

The 409 `idempotency_request_in_progress` is not simulated: the sandbox answers it for real when
two creates with the same key overlap, which `serve --latency-ms 500` makes easy to provoke
(README, "Client readiness"). The pipeline asks `before_request` right after authentication
(before validation, idempotency and the handler) and reports every answer to `after_response`.
"""

from __future__ import annotations

from dataclasses import dataclass

from mock_server.readiness.exchanges import CREATE_OPERATION, DeliveryKind

UNAVAILABLE_RETRY_AFTER = 1
THROTTLED_RETRY_AFTER = 2
STALE_BY_SECONDS = 600


@dataclass(frozen=True, slots=True)
class Injected:
    """An answer the session gives instead of the real one."""

    status: int
    retry_after: int
    reason: str  # the readiness challenge's name, recorded as the request's fault


@dataclass(slots=True)
class Challenges:
    unavailable_request_id: str | None = None
    throttled_request_id: str | None = None
    created: bool = False
    webhook_challenges_sent: bool = False

    def before_request(self, request_id: str, method: str, operation_id: str | None) -> Injected | None:
        """The challenge this request meets, if any (then the request is not handled)."""
        is_create = method == "POST" and operation_id == CREATE_OPERATION
        if is_create and self.unavailable_request_id is None:
            self.unavailable_request_id = request_id
            return Injected(503, UNAVAILABLE_RETRY_AFTER, "readiness_unavailable")
        if self.created and self.throttled_request_id is None:
            self.throttled_request_id = request_id
            return Injected(429, THROTTLED_RETRY_AFTER, "readiness_throttled")
        return None

    def after_response(self, method: str, operation_id: str | None, status: int) -> None:
        """Note a real answer: the 429 waits for the first successful create."""
        if method == "POST" and operation_id == CREATE_OPERATION and 200 <= status < 300:
            self.created = True

    def webhook_challenges_due(self) -> tuple[DeliveryKind, ...]:
        """Called for each real delivery queued: the two challenge kinds the first time, then none."""
        if self.webhook_challenges_sent:
            return ()
        self.webhook_challenges_sent = True
        return ("bad_signature", "stale_timestamp")


@dataclass(frozen=True, slots=True)
class ChallengeSigning:
    """How a challenge delivery is signed: the secret and the timestamp offset to use."""

    secret: str
    timestamp_offset_seconds: int


def signing_for(kind: DeliveryKind, workspace_secret: str) -> ChallengeSigning:
    if kind == "bad_signature":
        return ChallengeSigning("whsec_not_" + workspace_secret, 0)
    if kind == "stale_timestamp":
        return ChallengeSigning(workspace_secret, -STALE_BY_SECONDS)
    return ChallengeSigning(workspace_secret, 0)
