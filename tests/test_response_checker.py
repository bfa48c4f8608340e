"""The response checker that guards every HTTP test must itself catch a broken answer."""

from __future__ import annotations

from typing import Any

import pytest
from response_checker import ResponseChecker

from mock_server.engine.spec import load_spec
from mock_server.settings import default_spec_path

PATH = "/api/public/v1/batch-calls/batch_1"
HEADERS = {"X-Request-Id": "req_1"}


@pytest.fixture(scope="module")
def checker() -> ResponseChecker:
    return ResponseChecker(load_spec(default_spec_path()))


def valid_batch() -> dict[str, Any]:
    spec = load_spec(default_spec_path())
    example = spec.by_id["get_batch_call"].response_for(200).first_example()  # type: ignore[union-attr]
    assert example is not None
    return {**example, "meta": {"request_id": "req_1", "ts": "2026-03-02T08:00:00.000000Z"}}


def test_a_conforming_answer_passes(checker: ResponseChecker) -> None:
    assert checker.problems("GET", PATH, 200, HEADERS, valid_batch()) == []


def test_a_missing_required_field_is_caught(checker: ResponseChecker) -> None:
    body = valid_batch()
    del body["data"]["created_at"]
    assert any("created_at" in p for p in checker.problems("GET", PATH, 200, HEADERS, body))


def test_an_undocumented_status_is_caught(checker: ResponseChecker) -> None:
    assert checker.problems("GET", PATH, 418, HEADERS, {}) != []


def test_a_request_id_mismatch_is_caught(checker: ResponseChecker) -> None:
    problems = checker.problems("GET", PATH, 200, {"X-Request-Id": "req_2"}, valid_batch())
    assert any("request_id" in p for p in problems)
    assert checker.problems("GET", PATH, 200, {}, valid_batch()) != []


def test_a_malformed_error_envelope_is_caught(checker: ResponseChecker) -> None:
    assert checker.problems("GET", PATH, 404, HEADERS, {"message": "nope"}) != []
