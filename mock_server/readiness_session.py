"""A world's client readiness session: the glue between the pure `readiness` package, the request
pipeline (the challenges), the world's request journal (what was answered), the webhook outbox and
the control API.

A world has at most one, armed by `POST /_mock/readiness/start` (arming again starts over; a reset
of the world ends it). The pipeline consults it only when the request's world has one, so an
unarmed world pays one attribute read per request.

It keeps no record of its own: what the world answered is in the world's request journal (one record,
one bound, one redaction list), and the session reads the entries from the position it was armed at.
What the journal no longer holds (dropped past `--journal-size` or `--journal-max-bytes`, or cleared)
is counted in the report, which is then at best `incomplete`; a sandbox without a journal
(`--journal-size 0`) arms no session.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from dataclasses import dataclass, field, replace

import orjson

from contracts.coverage import CoverageRecorder
from contracts.results import Coverage
from mock_server.core.errors import MockError, RateLimited, ServiceUnavailable
from mock_server.core.timefmt import timestamp
from mock_server.observe.request_journal import Exchange as Entry
from mock_server.observe.request_journal import Journal, entry_json
from mock_server.readiness import (
    Challenges,
    DeliveryAttempt,
    Exchange,
    Report,
    Session,
    WebhookDelivery,
    exchange_from_entry,
    grading_steps,
    signing_for,
)
from mock_server.readiness.grading import api_exchanges
from mock_server.webhooks import Delivery

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
    journal: Journal  # the world's: what it answered from position `since` on is the session's
    since: int
    earlier_deliveries: frozenset[str] = frozenset()  # queued before the session: not graded
    receiver_seen: bool = False  # a webhook receiver was set at some point of the session
    challenges: Challenges = field(default_factory=Challenges)
    told_up_to: int = -1  # the journal position up to which the challenges know the answers

    def as_json(self) -> dict[str, object]:
        return {"workspace_id": self.workspace_id, "started_at": timestamp(self.started_at),
                "challenges": CHALLENGES}

    # the request pipeline ----------------------------------------------------------------------
    def challenge(self, request_id: str, method: str, operation_id: str, now: float) -> MockError | None:
        """The deliberate error this request meets, if the session has one for it."""
        self._tell_answers()
        injected = self.challenges.before_request(request_id, method, operation_id)
        if injected is None:
            return None
        if injected.status == 429:
            reset_at = timestamp(now + injected.retry_after) or ""
            return RateLimited(100, "minute (readiness challenge)", reset_at, injected.retry_after)
        return ServiceUnavailable("the service is temporarily unavailable (readiness challenge); retry "
                                  f"after {injected.retry_after} s with the same idempotency key",
                                  retry_after=injected.retry_after)

    def _tell_answers(self) -> None:
        """Tell the challenges what the journal recorded since they were last told (only the first
        successful create matters to them: once it is known, nothing more is read)."""
        if self.challenges.created:
            return
        entries, _ = self.journal.since(max(self.since, self.told_up_to))
        for entry in entries:
            self.challenges.after_response(entry.method, entry.operation_id, entry.status)
        self.told_up_to = self.journal.end

    # the webhook outbox ------------------------------------------------------------------------
    def challenge_deliveries(self, real: Delivery) -> list[Delivery]:
        """Note a real delivery; with the first one, the two challenge deliveries to queue too."""
        self.receiver_seen = True
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
        return extra

    # the report --------------------------------------------------------------------------------
    def report_steps(
        self, deliveries: Iterable[Delivery], receiver_set: bool, hidden: frozenset[str],
        coverage: CoverageRecorder | None = None,
    ) -> Generator[None, None, Report]:
        """The report, a step an entry read and a step a check: the control API runs them in turns
        (`engine/turns.py`), since a report over a full journal held every tenant for 0.1-0.2 s.
        `hidden`: the credential headers the journal's readers redact (as `GET /_mock/requests`);
        `coverage`: a fresh recorder of the API's contract, for the report's coverage section."""
        self.receiver_seen = self.receiver_seen or receiver_set
        entries, dropped = self.journal.since(self.since)
        exchanges: list[Exchange] = []
        for entry in entries:
            if entry.authenticated and entry.operation_id is not None:
                exchanges.append(graded_exchange(entry, hidden))
                yield
        graded = Session(
            exchanges=exchanges,
            deliveries=[_delivery_view(d) for d in deliveries if d.id not in self.earlier_deliveries],
            unavailable_request_id=self.challenges.unavailable_request_id,
            receiver_configured=self.receiver_seen,
            dropped_requests=dropped,
        )
        report = yield from grading_steps(graded, self.workspace_id, timestamp(self.started_at) or "")
        if coverage is None:
            return report
        return replace(report, coverage=client_coverage(graded.exchanges, coverage))


def graded_exchange(entry: Entry, hidden: frozenset[str]) -> Exchange:
    """A journal entry as the checks read it: as `GET /_mock/requests` shows it (redacted), its
    validation errors those of a 422 (a 400, 413 or 415 is not a schema the client got wrong)."""
    shown = entry_json(entry, hidden)
    shown["received_at"] = entry.received_at
    if entry.status != 422:
        shown["validation_errors"] = None
    return exchange_from_entry(shown)


def _delivery_view(d: Delivery) -> WebhookDelivery:
    attempts = tuple(DeliveryAttempt(a.status_code, a.at, a.answered_in_seconds) for a in d.attempts)
    kind = d.kind if d.kind in ("bad_signature", "stale_timestamp") else "real"
    return WebhookDelivery(d.id, kind, attempts)  # type: ignore[arg-type]


def client_coverage(exchanges: Iterable[Exchange], recorder: CoverageRecorder) -> Coverage:
    """What the client's API requests exercised of the contract `recorder` was made from."""
    for exchange in api_exchanges(exchanges):
        if exchange.operation_id is not None:
            recorder.record(exchange.operation_id, exchange.status, exchange.response_body)
    return recorder.coverage()
