"""The verdict, the required checks, the report's JSON, and reading journal entries."""

from __future__ import annotations

import pytest
from readiness.builders import T0, create, delivery, entry, page, read_batch, rfc3339, unavailable

from mock_server.readiness import Session, exchange_from_entry, grade
from mock_server.readiness.grading import EVIDENCE_LIMIT, required_checks


def careful_session(receiver: bool = False) -> Session:
    first = unavailable(0, key="k1")
    exchanges = [first, create(1.2, key="k1"), entry(1.3, status=429, response_headers={"Retry-After": "2"}),
                 entry(3.5), read_batch(4), page(5, 0, True), page(6, 1, False)]
    deliveries = [delivery("real", (200, 0.01)), delivery("bad_signature", (401, 0.01)),
                  delivery("stale_timestamp", (400, 0.01))] if receiver else []
    return Session(exchanges, deliveries, first.request_id, receiver)


def statuses(session: Session) -> dict[str, str]:
    return {c.id: c.status for c in grade(session, "ws_1", rfc3339(T0)).checks}


def test_careful_session_is_ready_with_and_without_a_receiver() -> None:
    for receiver in (False, True):
        report = grade(careful_session(receiver), "ws_1", rfc3339(T0))
        assert report.verdict == "ready", statuses(careful_session(receiver))


def test_a_receiver_makes_the_webhook_checks_required() -> None:
    session = careful_session(receiver=False)
    with_receiver = Session(session.exchanges, [], session.unavailable_request_id, True)
    assert "webhook_rejects_bad_signature" in required_checks(with_receiver)
    assert grade(with_receiver, "ws_1", "t").verdict == "incomplete"


def test_one_failure_makes_it_not_ready() -> None:
    session = careful_session()
    bare = Session([*session.exchanges, create(9, key=None)], [], session.unavailable_request_id)
    assert grade(bare, "ws_1", "t").verdict == "not_ready"


def test_a_warning_alone_does_not_stop_ready() -> None:
    session = careful_session()
    polled = Session([*session.exchanges, *(read_batch(10 + i * 0.1) for i in range(70))], [],
                     session.unavailable_request_id)
    assert statuses(polled)["polling_is_reasonable"] == "warning"
    assert grade(polled, "ws_1", "t").verdict == "ready"


def test_without_the_challenge_or_without_a_create_it_is_incomplete() -> None:
    assert grade(Session([create(0)]), "ws_1", "t").verdict == "incomplete"
    assert grade(Session([entry(0), page(1, 0, False)]), "ws_1", "t").verdict == "incomplete"
    assert grade(Session([]), "ws_1", "t").verdict == "incomplete"


def test_the_control_api_is_not_graded() -> None:
    control = entry(0, "POST", "/_mock/readiness/start", None, 200)
    assert statuses(Session([control]))["no_hammering_on_errors"] == "not_observed"


def test_report_json_has_the_documented_shape_and_caps_evidence() -> None:
    bare = [create(i, key=None) for i in range(EVIDENCE_LIMIT + 5)]
    report = grade(Session(bare), "ws_1", rfc3339(T0)).as_json()
    assert set(report) == {"workspace_id", "started_at", "verdict", "checks"}
    first = report["checks"][0]
    assert set(first) == {"id", "title", "status", "evidence", "advice"}
    assert len(first["evidence"]) == EVIDENCE_LIMIT and "5 more ids" in first["advice"]


def test_journal_entries_accept_query_strings_header_pairs_and_numbers() -> None:
    e = exchange_from_entry({
        "request_id": "req_1", "received_at": T0, "method": "get", "path": "/x",
        "query": "?limit=1&offset=2", "request_headers": [["X-Idempotency-Key", "k"]],
        "status": 503, "response_headers": {"Retry-After": "Wed, 01 Dec 2026 09:00:03 GMT"},
        "duration_ms": 0,
    })
    assert e.method == "GET" and e.query_value("offset") == "2" and e.idempotency_key == "k"
    assert e.retry_after() == pytest.approx(3.0)
    with pytest.raises(ValueError):
        exchange_from_entry({"request_id": "r", "received_at": "soon", "method": "GET", "path": "/",
                             "status": 200})


def test_a_session_whose_requests_were_dropped_is_at_best_incomplete() -> None:
    """Issue 20, defect 4: the journal is the record; what it dropped is unknown, so not `ready`."""
    careful = careful_session()
    dropped = Session(careful.exchanges, [], careful.unavailable_request_id, dropped_requests=2)
    report = grade(dropped, "ws_1", "t")
    assert report.verdict == "incomplete" and report.as_json()["dropped_requests"] == 2
    failing = Session([*careful.exchanges, create(9, key=None)], [], careful.unavailable_request_id,
                      dropped_requests=2)
    assert grade(failing, "ws_1", "t").verdict == "not_ready"  # a failure seen is a failure
