"""The journal's pure parts: the bounds, redaction, and how entries read."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from mock_server.control.dialect import journal_hidden_headers
from mock_server.dialects.truedy.credentials import BEARER_KEY
from mock_server.dialects.zudu.credentials import KEY_AND_SECRET
from mock_server.engine.router import PathTable
from mock_server.observe.request_journal import (
    BODY_LIMIT,
    Exchange,
    Filters,
    Journal,
    body_json,
    cut,
    entry_json,
    redact,
)

HIDDEN = journal_hidden_headers((BEARER_KEY, KEY_AND_SECRET))  # what the control API's readers hide


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
        request_headers=[(b"Accept", b"a"), (b"accept", b"b"), (b"X-API-SECRET", b"zs_test_0a1b2c3d4e5f"),
                         (b"X-API-KEY", b"zk_test_0a1b2c3d4e5f"), (b"Cookie", b"session=0a1b2c3d4e5f")],
        request_body=b"\xff not utf-8",
    ), HIDDEN)
    assert entry["request_headers"] == {
        "accept": "a, b", "x-api-secret": "…4e5f", "x-api-key": "zk_test_0a1b2c3d4e5f", "cookie": "…4e5f"
    }
    assert entry["request_body"] == "\ufffd not utf-8"
    assert entry["response_body"] == {"api_key": "…4e5f", "items": [{"secret": "…4e5f"}]}
    assert body_json(b"") is None
    assert body_json(b"[1, 2]") == [1, 2]


def sized(number: int, size: int) -> tuple[Any, ...]:
    """An entry as the recorder records it: whatever it holds, `size` is what it counts."""
    return (*exchange(number)[:-1], size)


def test_the_byte_bound_keeps_entries_up_to_it_and_drops_past_it() -> None:
    """Issue 20, defect 3: the bound is of what entries hold, as the recorder counts them."""
    journal = Journal(size=100, max_bytes=1000)
    for number, size in enumerate((400, 300, 300)):  # exactly 1000: all kept
        journal.record(sized(number, size))
    assert (len(journal), journal.dropped, journal.bytes) == (3, 0, 1000)
    journal.record(sized(3, 1))  # one byte over: the oldest goes
    assert [e.request_id for e in journal.select(Filters())] == ["req_3", "req_2", "req_1"]
    assert (journal.dropped, journal.bytes) == (1, 601)


def test_positions_count_every_entry_ever_recorded() -> None:
    journal = Journal(size=3)
    for number in range(5):
        journal.record(exchange(number))
    assert (journal.first, journal.end) == (2, 5)
    kept, gone = journal.since(1)
    assert [e.request_id for e in kept] == ["req_2", "req_3", "req_4"] and gone == 1
    kept, gone = journal.since(4)
    assert [e.request_id for e in kept] == ["req_4"] and gone == 0
    journal.clear()
    assert journal.since(4) == ([], 1) and journal.end == 5
    journal.record(exchange(9))
    assert [e.request_id for e in journal.since(5)[0]] == ["req_9"]


def test_a_template_filter_is_matched_segment_by_segment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 20, defect 2: a regex of `[^/]+` per {name} backtracked exponentially (a 10-name filter
    against a 40-character path took 8.4 s). The router's own segment table matches it: one lookup
    per entry, linear in its path."""
    looked_up: list[str] = []
    lookup = PathTable.lookup

    def counted(self: PathTable[Any], path: str) -> Any:
        looked_up.append(path)
        return lookup(self, path)

    monkeypatch.setattr(PathTable, "lookup", counted)
    journal = Journal()
    journal.record(exchange(1, path="/a/" + "x" * 40))
    journal.record(exchange(2, path="/a/b/c"))
    assert count(journal, Filters(path="/a/{x}{y}{z}/c")) == 1
    assert looked_up == ["/a/b/c", "/a/" + "x" * 40]
    many = "/a/" + "".join(f"{{n{i}}}" for i in range(25)) + "/c"  # would backtrack for ages
    assert count(journal, Filters(path=many)) == 1
    assert count(journal, Filters(path="/a/{id}")) == 1 and count(journal, Filters(path="/{a}/{b}")) == 1


def test_a_long_body_is_redacted_before_it_is_cut() -> None:
    secret = "sk_live_0123456789abcdef"
    body = orjson.dumps({"items": [{"api_key": secret}], "pad": "x" * 70_000})
    kept = cut(body)
    assert len(kept) == BODY_LIMIT and secret not in kept.decode() and b'"api_key":"\xe2\x80\xa6cdef"' in kept
    plain = orjson.dumps({"pad": "x" * 70_000})
    assert cut(plain) == plain[:BODY_LIMIT]  # nothing to redact: the bytes as sent
    for unreadable in (b"api_key=" + secret.encode() + b"&" + b"x" * 70_000, b"[" * 70_000):
        note = cut(unreadable).decode()
        assert secret not in note and note.startswith("(not kept: ") and str(len(unreadable)) in note
    shown = body_json(body)  # kept whole (an answer read back from --store): cut when read, redacted first
    assert shown.startswith('{"items":[{"api_key":"…cdef"}]') and secret not in shown


def test_json_too_deep_to_redact_is_not_shown() -> None:
    """900 levels parse (orjson allows 1,024) but are too deep to walk: shown as sent, the credentials
    beside them were in clear."""
    deep = b'{"api_key": "sk_test_0a1b2c3d4e5f", "x": ' + b"[" * 900 + b"]" * 900 + b"}"
    shown = body_json(deep)
    assert isinstance(shown, str) and "nested too deeply" in shown and "sk_test" not in shown


def count(journal: Journal, filters: Filters) -> int:
    """What `GET /_mock/requests/count` counts (its handler scans `select` in turns)."""
    return sum(1 for _ in journal.select(filters))
