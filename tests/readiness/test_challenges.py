"""The challenge state machine: one 503 on the first create, one 429 later, webhook tests once."""

from __future__ import annotations

from mock_server.readiness import Challenges, signing_for

CREATE = ("POST", "create_batch_call")


def test_first_create_meets_503_then_the_retry_goes_through() -> None:
    challenges = Challenges()
    assert challenges.before_request("req_1", "GET", "list_agents") is None
    first = challenges.before_request("req_2", *CREATE)
    assert first is not None and (first.status, first.retry_after) == (503, 1)
    assert challenges.unavailable_request_id == "req_2"
    assert challenges.before_request("req_3", *CREATE) is None  # the retry
    challenges.after_response(*CREATE, 201)


def test_the_request_after_the_first_successful_create_meets_429_once() -> None:
    challenges = Challenges()
    challenges.before_request("req_1", *CREATE)
    challenges.before_request("req_2", *CREATE)
    challenges.after_response(*CREATE, 422)  # a refused create does not arm the 429
    assert challenges.before_request("req_3", "GET", "get_batch_call") is None
    challenges.after_response(*CREATE, 201)
    throttled = challenges.before_request("req_4", "GET", "get_batch_call")
    assert throttled is not None and (throttled.status, throttled.retry_after) == (429, 2)
    assert challenges.before_request("req_5", "GET", "get_batch_call") is None
    assert challenges.before_request("req_6", *CREATE) is None


def test_webhook_challenges_come_once_with_the_first_real_delivery() -> None:
    challenges = Challenges()
    assert challenges.webhook_challenges_due() == ("bad_signature", "stale_timestamp")
    assert challenges.webhook_challenges_due() == ()


def test_challenge_signing() -> None:
    bad = signing_for("bad_signature", "whsec_1")
    stale = signing_for("stale_timestamp", "whsec_1")
    assert bad.secret != "whsec_1" and bad.timestamp_offset_seconds == 0
    assert stale.secret == "whsec_1" and stale.timestamp_offset_seconds == -600
