"""The journal's pure parts: the bounds, redaction, and how entries read."""

from __future__ import annotations

from typing import Any

import pytest

from mock_server.observe.journal import Exchange, Filters, Journal, body_json, entry_json, redact


def exchange(number: int, body: bytes = b"", **fields: Any) -> Exchange:
    values: dict[str, Any] = {
        "request_id": f"req_{number}", "received_at": float(number), "simulated_at": 0.0,
        "workspace_id": "ws_1", "method": "GET", "path": "/x", "query": b"", "operation_id": None,
        "template": None, "request_headers": [], "request_body": b"", "status": 200,
        "response_headers": [], "response_body": body, "duration_ms": 0.5, "violations": None,
        "idempotent_replay": False, "fault": None, "truncated": False,
    }
    values.update(fields)
    return Exchange(**values, size=len(values["request_body"]) + len(values["response_body"]))


def test_the_oldest_entries_go_first_past_the_size_and_are_counted() -> None:
    journal = Journal(size=2)
    for number in range(5):
        journal.record(exchange(number))
    assert [e.request_id for e in journal.select(Filters())] == ["req_4", "req_3"]
    assert journal.dropped == 3


def test_bodies_are_bounded_in_bytes_too() -> None:
    journal = Journal(size=100, max_bytes=1000)
    for number in range(5):
        journal.record(exchange(number, b"x" * 400))
    assert len(journal) == 2 and journal.dropped == 3 and journal.bytes == 800
    journal.record(exchange(9, b"x" * 5000))  # larger than the budget alone: kept, alone
    assert [e.request_id for e in journal.select(Filters())] == ["req_9"]
    journal.clear()
    assert (len(journal), journal.dropped, journal.bytes) == (0, 0, 0)


def test_size_0_keeps_nothing() -> None:
    journal = Journal(size=0)
    journal.record(exchange(1))
    assert len(journal) == 0 and journal.dropped == 0
    with pytest.raises(ValueError):
        Journal(size=-1)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("Bearer sk_test_0a1b2c3d4e5f", "Bearer …4e5f"),
        ("bearer   sk_test_0a1b2c3d4e5f ", "bearer …4e5f"),
        ("zs_test_0a1b2c3d4e5f", "…4e5f"),
        ("Bearer short", "Bearer …"),
        ("", "…"),
    ],
)
def test_redact_keeps_the_scheme_and_the_last_4_characters(value: str, shown: str) -> None:
    assert redact(value) == shown


def test_headers_are_joined_and_redacted_bodies_parsed_when_json() -> None:
    entry = entry_json(exchange(
        1,
        b'{"api_key": "sk_test_0a1b2c3d4e5f", "items": [{"secret": "whsec_0a1b2c3d4e5f"}]}',
        request_headers=[(b"Accept", b"a"), (b"accept", b"b"), (b"X-API-SECRET", b"zs_test_0a1b2c3d4e5f")],
        request_body=b"\xff not utf-8",
    ))
    assert entry["request_headers"] == {"accept": "a, b", "x-api-secret": "…4e5f"}
    assert entry["request_body"] == "\ufffd not utf-8"
    assert entry["response_body"] == {"api_key": "…4e5f", "items": [{"secret": "…4e5f"}]}
    assert body_json(b"") is None
    assert body_json(b"[1, 2]") == [1, 2]
