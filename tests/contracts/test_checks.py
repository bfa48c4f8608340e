"""The response rules as plain functions: envelopes, request ids, counter invariants."""

from __future__ import annotations

import orjson
import pytest

from contracts.checks import content_type_problems
from contracts.dialects.truedy.checks import counter_problems, error_envelope_problems, request_id_problems
from contracts.exchange import TargetExchange
from contracts.spec import NO_FACTS, default_spec_path, error_codes, load_document

CODES = error_codes(load_document(default_spec_path()))  # the spec's x-error-codes
META = {"request_id": "req_1", "ts": "2026-03-02T08:00:00.000000Z"}


def envelope(status: int, body: object, **headers: str) -> list[str]:
    return error_envelope_problems("GET", status, headers, orjson.dumps(body), CODES)


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
    problems = error_envelope_problems(
        "GET", 500, {"content-type": "text/plain"}, b"Internal Server Error", CODES
    )
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


def test_the_code_tables_come_from_the_spec() -> None:
    assert CODES[404] == {"not_found"} and "invalid_state" in CODES[422]
    every = {"error": {"code": "", "message": "x", "details": None}, "meta": META}
    for status, codes in CODES.items():
        for code in codes:
            body = every | {"error": every["error"] | {"code": code}}
            assert not [p for p in envelope(status, body) if "not a documented code" in p]


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("application/json", b'{"data": []}', None),
        ("application/json; charset=utf-8", b"{}", None),
        ("text/plain", b'{"data": []}', "a JSON body with Content-Type 'text/plain'"),
        ("", b'{"data": []}', "a JSON body with no Content-Type"),
        ("text/html", b"<h1>oops</h1>", "a body with Content-Type 'text/html'"),
        ("", b"", None),
    ],
)
def test_content_type(content_type: str, body: bytes, expected: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    problems = content_type_problems(TargetExchange("GET", "/batch-calls", 200, headers, body), NO_FACTS)
    assert problems == ([] if expected is None else [f"{expected}; the spec documents application/json"])
