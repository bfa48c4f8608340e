"""HAR 1.2: what `write_har` writes, `read_har` reads back the same; a file that is not HAR is one
sentence naming the file (and the entry)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contracts.har import HarError, RecordedExchange, read_har, write_har

ENTRY = '{"log": {"entries": [{"request": {"method": "GET", "url": "http://x/"}, "response": %s}]}}'

EXCHANGES = [
    RecordedExchange(
        method="POST",
        url="http://127.0.0.1:8080/api/public/v1/batch-calls?dry=1&dry=2",
        request_headers=(("Authorization", "Bearer sk_test"), ("Content-Type", "application/json")),
        request_body=b'{"name": "Q1", "agent_id": "agt_1"}',
        request_media_type="application/json",
        status=201,
        response_headers=(("Content-Type", "application/json"), ("X-Request-Id", "req_1")),
        response_body='{"data": {"name": "Q1 ☎"}}'.encode(),
        response_media_type="application/json",
        started="2026-03-02T08:00:00.000000Z",
        time_ms=12.5,
    ),
    RecordedExchange(
        method="POST",
        url="http://127.0.0.1:8080/upload",
        request_body=b"\xff\x00binary",
        request_media_type="application/octet-stream",
        status=415,
        response_body=b"\x89PNG\r\n",
        response_media_type="image/png",
        started="2026-03-02T08:00:01.000000Z",
    ),
    RecordedExchange(
        method="GET", url="https://x.test/a", started="2026-03-02T08:00:02.000000Z"
    ),  # no answer
]


def test_what_is_written_is_read_back(tmp_path: Path) -> None:
    path = tmp_path / "traffic.har"
    assert write_har(path, iter(EXCHANGES), "batchcalls-contract", "0.1.0") == 3
    assert list(read_har(path)) == EXCHANGES
    log = json.loads(path.read_text())["log"]
    assert log["version"] == "1.2" and log["creator"] == {"name": "batchcalls-contract", "version": "0.1.0"}
    first = log["entries"][0]
    assert {"startedDateTime", "time", "request", "response", "cache", "timings"} <= set(first)
    assert first["request"]["queryString"] == [{"name": "dry", "value": "1"}, {"name": "dry", "value": "2"}]
    assert log["entries"][1]["response"]["content"]["encoding"] == "base64"


def test_an_empty_har_has_no_exchanges(tmp_path: Path) -> None:
    path = tmp_path / "empty.har"
    write_har(path, [], "t", "1")
    assert list(read_har(path)) == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("not json at all", "not JSON"),
        ('{"log": {"version": "1.2"}}', "no log.entries"),
        ('{"entries": []}', "no log.entries"),
        ('{"log": {"entries": [{"request": {"method": "GET"}, "response": {"status": 200}}]}}', "entry 0"),
        ('{"log": {"entries": [{"request": {"method": "GET", "url": "/relative"}}]}}', "not absolute"),
        (
            ENTRY % '{"status": "200"}',
            "status",
        ),
        (
            ENTRY % '{"status": 200, "content": {"text": "%%%", "encoding": "base64"}}',
            "base64",
        ),
        (
            '{"log": {"entries": [{"request": {"method": "GET", "url": "http://x/", "headers": "x"}}]}}',
            "headers",
        ),
    ],
)
def test_a_file_that_is_not_har_is_one_sentence(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "bad.har"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(HarError, match=words) as caught:
        list(read_har(path))
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(HarError, match="cannot read"):
        list(read_har(tmp_path / "absent.har"))
