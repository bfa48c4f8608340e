"""Every readiness check passed, failed and not observed, over journal-shaped entries."""

from __future__ import annotations

from readiness.builders import (
    BODY,
    create,
    delivery,
    entry,
    page,
    read_batch,
    unavailable,
)

from mock_server.readiness import CHECKS, Exchange, Session


def run(check_id: str, session: Session) -> tuple[str, list[str]]:
    finding = CHECKS[check_id](session)
    return finding.status, finding.evidence


def test_every_issue_check_is_registered_in_order() -> None:
    assert list(CHECKS) == [
        "idempotency_key_on_create", "retry_reuses_idempotency_key", "honors_retry_after",
        "no_hammering_on_errors", "sends_valid_requests", "webhook_rejects_bad_signature",
        "webhook_rejects_stale_timestamp", "webhook_acknowledges_fast", "polling_is_reasonable",
        "reads_all_pages",
    ]


# idempotency_key_on_create -------------------------------------------------------------------
def test_key_on_create() -> None:
    keyed, bare = create(0, key="a"), create(1, key=None)
    assert run("idempotency_key_on_create", Session([keyed])) == ("passed", [keyed.request_id])
    assert run("idempotency_key_on_create", Session([keyed, bare])) == ("failed", [bare.request_id])
    assert run("idempotency_key_on_create", Session([entry(0)]))[0] == "not_observed"


# retry_reuses_idempotency_key ----------------------------------------------------------------
def test_retry_reuses_key_and_body() -> None:
    first = unavailable(0, key="a")
    same = create(2, key="a")
    ok = Session([first, same], unavailable_request_id=first.request_id)
    assert run("retry_reuses_idempotency_key", ok) == ("passed", [first.request_id, same.request_id])


def test_retry_with_a_new_key_or_a_new_body_or_no_key_fails() -> None:
    first = unavailable(0, key="a")
    for retry in (create(2, key="b"), create(2, key="a", body={**BODY, "name": "Other"})):
        session = Session([first, retry], unavailable_request_id=first.request_id)
        assert run("retry_reuses_idempotency_key", session)[0] == "failed"
    keyless = unavailable(0, key=None)
    session = Session([keyless, create(1.5, key=None)], unavailable_request_id=keyless.request_id)
    assert run("retry_reuses_idempotency_key", session)[0] == "failed"


def test_retry_not_observed_without_the_challenge_or_without_a_retry() -> None:
    assert run("retry_reuses_idempotency_key", Session([create(0)]))[0] == "not_observed"
    first = unavailable(0)
    lone = Session([first, entry(3)], unavailable_request_id=first.request_id)
    assert run("retry_reuses_idempotency_key", lone) == ("not_observed", [first.request_id])


# honors_retry_after --------------------------------------------------------------------------
def test_retry_after_honoured_with_the_network_allowance() -> None:
    refused = unavailable(0)  # answered at 0.005 s, Retry-After: 1
    session = Session([refused, create(0.005 + 0.95)])  # 50 ms early: inside the 100 ms allowance
    assert run("honors_retry_after", session) == ("passed", [refused.request_id])


def test_a_request_before_retry_after_elapsed_fails() -> None:
    throttled = entry(10, status=429, response_headers={"Retry-After": "2"})
    early = entry(10.5)
    status, evidence = run("honors_retry_after", Session([throttled, early, entry(13)]))
    assert (status, evidence) == ("failed", [throttled.request_id, early.request_id])


def test_a_request_already_in_flight_does_not_count() -> None:
    throttled = entry(10, status=429, response_headers={"Retry-After": "2"}, duration_ms=50)
    in_flight = entry(10.01)  # sent before the 429 left the server
    assert run("honors_retry_after", Session([throttled, in_flight]))[0] == "passed"


def test_retry_after_not_observed_without_such_an_answer() -> None:
    no_header = entry(0, status=503)
    assert run("honors_retry_after", Session([create(0), no_header]))[0] == "not_observed"


# no_hammering_on_errors ----------------------------------------------------------------------
def _refused_schedule(at: float) -> Exchange:
    return entry(at, "POST", "/api/public/v1/batch-calls/b1/schedule", "schedule_batch_call", 422,
                 body={}, response_body={"error": {"code": "no_contacts"}})


def test_a_refused_request_sent_again_twice_is_fine_three_times_fails() -> None:
    twice = [_refused_schedule(t) for t in range(3)]
    assert run("no_hammering_on_errors", Session(twice)) == ("passed", [twice[0].request_id])
    four = [_refused_schedule(t) for t in range(4)]
    assert run("no_hammering_on_errors", Session(four)) == ("failed", [e.request_id for e in four])


def test_changed_requests_and_retryable_answers_are_not_hammering() -> None:
    changed = [
        entry(t, "GET", "/api/public/v1/batch-calls/nope", "get_batch_call", 404, query={"n": str(t)})
        for t in range(5)
    ]
    throttled = [entry(t, status=429) for t in range(5)]
    assert run("no_hammering_on_errors", Session([*changed, *throttled]))[0] == "passed"


def test_no_hammering_not_observed_without_requests() -> None:
    assert run("no_hammering_on_errors", Session([]))[0] == "not_observed"


# sends_valid_requests ------------------------------------------------------------------------
def test_invalid_before_the_first_success_is_forgiven_after_it_fails() -> None:
    invalid = create(0, 422, validation_errors=[{"loc": ["body", "name"]}])
    ok = create(1)
    assert run("sends_valid_requests", Session([invalid, ok])) == ("passed", [ok.request_id])
    later = entry(2, query={"limit": "500"}, status=422, validation_errors=[{"loc": ["query", "limit"]}])
    assert run("sends_valid_requests", Session([invalid, ok, later])) == ("failed", [later.request_id])


def test_valid_requests_not_observed_without_a_success() -> None:
    assert run("sends_valid_requests", Session([create(0, 422, validation_errors=[{}])]))[0] == "not_observed"


# webhook_rejects_bad_signature and webhook_rejects_stale_timestamp ---------------------------
def test_challenge_deliveries_must_get_a_4xx() -> None:
    for check_id, kind in (
        ("webhook_rejects_bad_signature", "bad_signature"),
        ("webhook_rejects_stale_timestamp", "stale_timestamp"),
    ):
        refused = delivery(kind, (401, 0.01))
        assert run(check_id, Session([], [refused], receiver_configured=True)) == ("passed", [refused.id])
        for answer in (200, 500):
            accepted = delivery(kind, (answer, 0.01))
            assert run(check_id, Session([], [accepted], receiver_configured=True))[0] == "failed"
        unanswered = delivery(kind, (None, None))
        assert run(check_id, Session([], [unanswered], receiver_configured=True))[0] == "not_observed"
        assert run(check_id, Session([], [], receiver_configured=True))[0] == "not_observed"
        assert run(check_id, Session([], [refused], receiver_configured=False))[0] == "not_observed"


# webhook_acknowledges_fast -------------------------------------------------------------------
def test_real_deliveries_acknowledged_within_five_seconds() -> None:
    fast = delivery("real", (200, 0.02))
    assert run("webhook_acknowledges_fast", Session([], [fast], receiver_configured=True)) == (
        "passed", [fast.id]
    )
    for slow in (delivery("real", (200, 5.5)), delivery("real", (500, 0.01), (200, 0.01)),
                 delivery("real", (None, None))):
        session = Session([], [fast, slow], receiver_configured=True)
        assert run("webhook_acknowledges_fast", session) == ("failed", [slow.id])
    challenge_only = Session([], [delivery("bad_signature", (200, 0.1))], receiver_configured=True)
    assert run("webhook_acknowledges_fast", challenge_only)[0] == "not_observed"
    assert run("webhook_acknowledges_fast", Session([], [fast]))[0] == "not_observed"


# polling_is_reasonable -----------------------------------------------------------------------
def test_one_read_a_second_is_fine_more_over_a_minute_warns() -> None:
    polite = [read_batch(t) for t in range(0, 120, 2)]
    assert run("polling_is_reasonable", Session(polite))[0] == "passed"
    hard = [read_batch(t * 0.1) for t in range(61)]  # 61 reads in 6 s
    status, evidence = run("polling_is_reasonable", Session(hard))
    assert status == "warning" and evidence == [e.request_id for e in hard]
    spread = [read_batch(t * 0.1, f"batch_{t % 2}") for t in range(100)]  # 50 reads each
    assert run("polling_is_reasonable", Session(spread))[0] == "passed"


def test_polling_not_observed_without_reads_of_one_batch() -> None:
    assert run("polling_is_reasonable", Session([entry(0), create(1)]))[0] == "not_observed"


# reads_all_pages -----------------------------------------------------------------------------
def test_lists_read_to_the_end() -> None:
    pages = [page(0, 0, True), page(1, 1, True), page(2, 2, False)]
    assert run("reads_all_pages", Session(pages)) == ("passed", [pages[0].request_id, pages[1].request_id])
    first_only = page(0, 0, True)
    assert run("reads_all_pages", Session([first_only])) == ("failed", [first_only.request_id])
    other_filter = page(1, 1, False, query={"limit": "1", "offset": "1", "status": "draft"})
    assert run("reads_all_pages", Session([first_only, other_filter]))[0] == "failed"


def test_pages_not_observed_when_no_list_had_more() -> None:
    assert run("reads_all_pages", Session([page(0, 0, False), entry(1)]))[0] == "not_observed"
