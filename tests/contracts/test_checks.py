"""The response rules as plain functions: envelopes, request ids, counter invariants."""

from __future__ import annotations

import orjson
import pytest

from contracts.checks import counter_problems, error_envelope_problems, request_id_problems

META = {"request_id": "req_1", "ts": "2026-03-02T08:00:00.000000Z"}


def envelope(status: int, body: object, **headers: str) -> list[str]:
    return error_envelope_problems("GET", status, headers, orjson.dumps(body))


def test_a_documented_error_envelope_passes() -> None:
    body = {
        "error": {"code": "not_found", "message": "no", "details": {"resource": "batch_call", "id": "b"}},
        "meta": META,
    }
    assert envelope(404, body) == []


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (404, {"error": "not_found", "message": "no"}, "must be {error"),
        (
            404,
            {"error": {"code": "resource_missing", "message": "x", "details": None}, "meta": META},
            "not a documented code for 404",
        ),
        (
            404,
            {"error": {"code": "not_found", "message": "x", "details": None}, "meta": META},
            "{resource, id}",
        ),
        (400, {"error": {"code": "invalid_json", "message": "x", "details": None}}, "no 'meta'"),
        (422, {"detail": []}, "list its violations"),
        (
            422,
            {"error": {"code": "teapot", "message": "x", "details": None}, "meta": META},
            "not a documented",
        ),
    ],
)
def test_broken_error_envelopes_are_named(status: int, body: object, expected: str) -> None:
    assert any(expected in problem for problem in envelope(status, body))


def test_an_error_that_is_not_json_is_a_problem() -> None:
    problems = error_envelope_problems("GET", 500, {"content-type": "text/plain"}, b"Internal Server Error")
    assert problems and "text/plain" in problems[0]


def test_validation_422_and_401_header() -> None:
    assert (
        envelope(422, {"detail": [{"loc": ["body", "name"], "msg": "short", "type": "string_too_short"}]})
        == []
    )
    unauthorized = {"error": {"code": "unauthorized", "message": "x", "details": None}, "meta": META}
    assert envelope(401, unauthorized, **{"www-authenticate": "Bearer"}) == []
    assert envelope(401, unauthorized) == ["a 401 must carry 'WWW-Authenticate: Bearer …'"]


def test_request_id_must_match_meta() -> None:
    body = orjson.dumps({"data": {}, "meta": META})
    assert request_id_problems({"x-request-id": "req_1"}, body) == []
    assert request_id_problems({"x-request-id": "req_2"}, body)
    assert request_id_problems({}, body) == ["no X-Request-Id header"]


def batch(**counters: int) -> bytes:
    base = {
        "id": "b",
        "total_contacts": 500,
        "completed_contacts": 350,
        "successful_contacts": 280,
        "failed_contacts": 70,
        "voicemail_contacts": 45,
        "no_answer_contacts": 25,
    }
    return orjson.dumps({"data": [base | counters]})


def test_counter_invariants() -> None:
    assert counter_problems(batch()) == []  # seed 002's example
    assert "!=" in counter_problems(batch(completed_contacts=351))[0]
    assert "<" in counter_problems(batch(voicemail_contacts=60))[0]
    assert ">" in counter_problems(batch(total_contacts=300))[0]
