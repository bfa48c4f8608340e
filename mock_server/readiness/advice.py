"""Each check's title, and its advice for each outcome, written for a partner's engineer."""

from __future__ import annotations

from dataclasses import dataclass

from mock_server.readiness.checks import Status


@dataclass(frozen=True, slots=True)
class Wording:
    title: str
    why: str  # shown when the check passed: why it matters on the real API
    fix: str  # failed (or warning)
    observe: str  # not observed: how to exercise it


WORDING: dict[str, Wording] = {
    "idempotency_key_on_create": Wording(
        "Every create carries X-Idempotency-Key",
        "A create that times out can be retried without launching the same campaign twice.",
        "Send a fresh X-Idempotency-Key (a UUID) with every POST /batch-calls, generated once per "
        "campaign you mean to create, not once per HTTP attempt.",
        "Create at least one batch call (POST /batch-calls) during the session.",
    ),
    "retry_reuses_idempotency_key": Wording(
        "A retried create reuses its key and body",
        "Only the same key with the same body lets the API recognise a retry and answer the first "
        "result instead of creating a second campaign.",
        "After a 5xx or a timeout on a create, send the very same body with the same "
        "X-Idempotency-Key; keep the key with the pending operation, not in the HTTP layer.",
        "The session answers the first create with 503: retry it after the Retry-After delay.",
    ),
    "honors_retry_after": Wording(
        "Retry-After is honoured",
        "The real API throttles each workspace (100 requests a minute); a client that retries early "
        "stays throttled longer and can delay every campaign of the workspace.",
        "After a 429 or 503, wait at least the Retry-After seconds before the workspace's next "
        "request (every thread or worker of your integration, not just the one that was refused).",
        "The session answers one create with 503 and a later request with 429: keep going after them.",
    ),
    "no_hammering_on_errors": Wording(
        "A refused request is not resent unchanged",
        "A 4xx for a business rule (invalid_state, no_contacts, not_found…) will be refused again; "
        "resending it only burns the rate limit.",
        "On a 4xx other than 408, 409, 425 and 429, change the request (or the state it depends on) "
        "before sending it again; log the error's code and message for a human.",
        "Make at least one API request during the session.",
    ),
    "sends_valid_requests": Wording(
        "Requests are valid once the integration works",
        "Validation errors after the first success mean the client learns the schema by trial; on "
        "the real API each one costs a request from the rate limit and can fail a campaign.",
        "Validate your payloads against openapi.json before sending (the detail[].loc of each 422 "
        "names the field), and send only documented values.",
        "Make at least one successful API request during the session.",
    ),
    "webhook_rejects_bad_signature": Wording(
        "The webhook receiver rejects a wrong signature",
        "Anyone who finds your receiver's URL can post fake events; only the HMAC proves Truedy sent them.",
        "Compute HMAC-SHA256 of `timestamp + \".\" + raw body` with the workspace secret, compare it "
        "with X-Truedy-Signature in constant time, and answer 401 when it differs.",
        "Set a receiver with PUT /_mock/webhooks and cause an event (schedule a batch call); the "
        "session then sends one wrongly signed delivery.",
    ),
    "webhook_rejects_stale_timestamp": Wording(
        "The webhook receiver rejects a stale timestamp",
        "A captured delivery replayed later carries a valid signature; only the timestamp shows it is old.",
        "Refuse (4xx) a delivery whose X-Truedy-Timestamp is more than 5 minutes from your clock, "
        "after checking the signature.",
        "Set a receiver with PUT /_mock/webhooks and cause an event; the session then sends one "
        "delivery signed correctly with a timestamp 10 minutes old.",
    ),
    "webhook_acknowledges_fast": Wording(
        "Real deliveries are acknowledged with 2xx within 5 s",
        "A slow or failing answer makes the sender retry, so you receive the same event again and "
        "your queue of pending events grows.",
        "Answer 2xx as soon as the delivery is verified and stored; do the work afterwards, and dedupe "
        "by the event id.",
        "Set a receiver with PUT /_mock/webhooks and cause an event (schedule a batch call).",
    ),
    "polling_is_reasonable": Wording(
        "A batch call is not polled more than once a second",
        "Polling eats the rate limit that your creates and schedules need.",
        "Subscribe to the webhooks (batch.status.changed, batch.completed) instead of polling, or "
        "poll a batch call every few seconds at most.",
        "Read a batch call (GET /batch-calls/{id}) during the session.",
    ),
    "reads_all_pages": Wording(
        "Lists are read to the last page",
        "A list answers at most `limit` items; stopping at the first page silently drops campaigns "
        "or contacts.",
        "While pagination.has_more is true, request the next page with offset = offset + limit.",
        "Read a list that has more than one page (for example GET /batch-calls?limit=1 with two "
        "batch calls).",
    ),
}


def advice(check_id: str, status: Status) -> str:
    wording = WORDING[check_id]
    if status == "passed":
        return wording.why
    if status == "not_observed":
        return wording.observe
    return wording.fix
