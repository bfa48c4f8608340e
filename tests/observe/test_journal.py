"""The journal's pure parts: the bounds, redaction, and how entries read."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_server.engine.router import PathTable
from mock_server.observe.journal import (
    BODY_LIMIT,
    Exchange,
    Filters,
    Journal,
    body_json,
    cut,
    entry_json,
    redact,
    redacted_prefix,
)
from mock_server.observe.redaction import redacted


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
    assert journal.count(Filters(path="/a/{x}{y}{z}/c")) == 1
    assert looked_up == ["/a/b/c", "/a/" + "x" * 40]
    many = "/a/" + "".join(f"{{n{i}}}" for i in range(25)) + "/c"  # would backtrack for ages
    assert journal.count(Filters(path=many)) == 1
    assert journal.count(Filters(path="/a/{id}")) == 1 and journal.count(Filters(path="/{a}/{b}")) == 1


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


KEYS = st.sampled_from(["name", "api_key", "secret", "webhook_secret", "url", "tasks_url", "data", "id", "é"])
TEXTS = st.one_of(
    st.text(max_size=30),
    st.just("sk_live_0123456789abcdef"),
    st.just("https://user:p4ssw0rd-long-enough@hooks.example/x?sig=0123456789abcdef&v=1"),
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False,
                    allow_infinity=False), TEXTS)
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=6), st.dictionaries(KEYS, inner, max_size=6)), max_leaves=40)


@given(value=JSON_VALUES, budget=st.integers(0, 400))
def test_a_redacted_prefix_is_the_start_of_the_whole_redacted_encoding(value: Any, budget: int) -> None:
    whole = orjson.dumps(redacted(value))
    prefix = redacted_prefix(value, budget)
    assert whole.startswith(prefix) and len(prefix) >= min(budget, len(whole))


def test_a_long_body_cut_is_redacted_as_far_as_it_is_kept() -> None:
    """However long the body, what is kept is the start of its redacted encoding, and nothing past it
    is looked at: a credential early is hidden, one at the end never reaches the kept bytes."""
    secret = "sk_live_0123456789abcdef"
    items = [{"url": f"https://u:{secret}@h.example/{n}", "api_key": secret} for n in range(20_000)]
    body = orjson.dumps({"data": items, "total": 20_000})
    kept = cut(body)
    assert kept == orjson.dumps(redacted(orjson.loads(body)))[:BODY_LIMIT]
    assert secret not in kept.decode("utf-8", "replace") and b"\xe2\x80\xa6cdef" in kept
    spaced = b'{"api_key": "' + secret.encode() + b'", "pad": "' + b"x" * 70_000 + b'"}'
    assert secret not in cut(spaced).decode()  # sent with other spacing: re-encoded, redacted
