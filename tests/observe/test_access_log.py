"""The access log of a real `batchcalls-mock serve`: a line on stderr for every kind of answer."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from support import API, AUTH, start_server

from mock_server.observe.access_log import AccessLog

TEXT_LINE = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (?P<request_id>req_\w+) (?P<workspace_id>ws_\w+|-) "
    r"(?P<method>[A-Z]+) (?P<path>\S+) (?P<operation_id>\S+) (?P<status>\d{3}) (?P<duration>\d+\.\d\d)ms$"
)
CREATE = {
    "name": "Spring campaign",
    "agent_id": "agt_sandbox_ready",
    "contact_source": "folder",
    "contact_folder_id": "folder_sandbox_demo",
}


def serve_and_log(*flags: str) -> tuple[dict[str, httpx.Response], str]:
    """Every kind of answer from a fresh server; its answers by name, and its stderr."""
    process, base = start_server("--clock", "manual", *flags)
    try:
        with httpx.Client(base_url=base) as http:
            answers = {
                "created": http.post(f"{API}/batch-calls", json=CREATE, headers=AUTH),
                "invalid": http.post(f"{API}/batch-calls", json={}, headers=AUTH),
                "malformed": http.post(f"{API}/batch-calls", content=b"{", headers={
                    **AUTH, "Content-Type": "application/json"}),
                "unknown path": http.get("/nowhere"),
                "wrong method": http.put(f"{API}/batch-calls", headers=AUTH),
                "no such key": http.get(f"{API}/batch-calls", headers={"Authorization": "Bearer sk_x"}),
                "control": http.post("/_mock/faults", json={"status": 500, "count": 1}),
                "fault": http.get(f"{API}/batch-calls", headers=AUTH),
            }
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    return answers, stderr


EXPECTED = {  # name: (method, status, operation id)
    "created": ("POST", 201, "create_batch_call"),
    "invalid": ("POST", 422, "create_batch_call"),
    "malformed": ("POST", 400, "create_batch_call"),
    "unknown path": ("GET", 404, None),
    "wrong method": ("PUT", 405, None),
    "no such key": ("GET", 401, "list_batch_calls"),
    "control": ("POST", 201, "add_fault"),
    "fault": ("GET", 500, "list_batch_calls"),
}


def check(lines: dict[str, dict[str, Any]], answers: dict[str, httpx.Response]) -> None:
    started = datetime.now(UTC) - timedelta(minutes=5)
    for name, (method, status, operation_id) in EXPECTED.items():
        answer = answers[name]
        assert answer.status_code == status, (name, answer.text)
        line = lines[answer.headers["x-request-id"]]
        assert (line["method"], line["status"], line["operation_id"]) == (method, status, operation_id), name
        assert line["path"] == answer.request.url.path
        assert line["duration_ms"] >= 0
        assert started <= datetime.fromisoformat(line["time"]) <= datetime.now(UTC)
        if name == "no such key":  # credentials of no workspace
            assert line["workspace_id"] is None
        else:
            assert line["workspace_id"].startswith("ws_")


def test_a_text_line_for_every_kind_of_answer() -> None:
    answers, stderr = serve_and_log()
    lines = {}
    for raw in stderr.splitlines():
        match = TEXT_LINE.match(raw)
        if match:
            fields: dict[str, Any] = match.groupdict()
            fields["status"] = int(fields["status"])
            fields["duration_ms"] = float(fields.pop("duration"))
            fields["workspace_id"] = None if fields["workspace_id"] == "-" else fields["workspace_id"]
            fields["operation_id"] = None if fields["operation_id"] == "-" else fields["operation_id"]
            lines[fields["request_id"]] = fields
    check(lines, answers)


def test_json_lines_parse() -> None:
    answers, stderr = serve_and_log("--log-format", "json")
    lines = {}
    for raw in stderr.splitlines():
        if raw.startswith("{"):
            line = json.loads(raw)
            assert set(line) == {
                "time", "request_id", "workspace_id", "method", "path", "operation_id", "status",
                "duration_ms",
            }
            lines[line["request_id"]] = line
    check(lines, answers)


def test_quiet_writes_no_line() -> None:
    answers, stderr = serve_and_log("--quiet")
    assert answers["created"].status_code == 201
    assert "req_" not in stderr


def test_debug_level_shows_the_request_lines_too() -> None:
    answers, stderr = serve_and_log("--log-level", "debug")
    assert any(TEXT_LINE.match(line) for line in stderr.splitlines())
    assert answers["created"].headers["x-request-id"] in stderr


def test_a_line_shows_the_time_to_the_millisecond_and_the_duration_to_the_hundredth() -> None:
    at = datetime(2026, 12, 1, 3, 12, 0, 123_900, tzinfo=UTC).timestamp()  # .1239 s: shown .123
    fields = (at, "req_1", "ws_2", "GET", "/p", "get_p", 200, 0.0423)
    text = AccessLog("text")
    assert text.line(fields) == "2026-12-01T03:12:00.123Z req_1 ws_2 GET /p get_p 200 0.04ms"
    assert text.line((at + 1.5, "req_3", None, "PUT", "/q", None, 405, 12.006)) == (
        "2026-12-01T03:12:01.623Z req_3 - PUT /q - 405 12.01ms"
    )
    assert text.line((at, "req_4", None, "GET", "/r", None, 200, 1234.5)).endswith(" 1234.50ms")
    assert TEXT_LINE.match(text.line(fields))
    assert json.loads(AccessLog("json").line(fields)) == {
        "time": "2026-12-01T03:12:00.123Z", "request_id": "req_1", "workspace_id": "ws_2", "method": "GET",
        "path": "/p", "operation_id": "get_p", "status": 200, "duration_ms": 0.042,
    }


FORGED = "2026-12-01T03:12:00.000Z req_forged ws_forged GET /admin - 200 0.01ms"


def test_what_the_client_sent_cannot_break_a_line() -> None:
    """Issue 20, defect 15: a `%0a` in a path wrote a forged line into the text log. Everything that
    comes from the client is escaped: control characters, spaces, backslashes, line separators."""
    at = datetime(2026, 12, 1, 3, 12, 0, tzinfo=UTC).timestamp()
    text, as_json = AccessLog("text"), AccessLog("json")
    hostile = [
        (f"/x\n{FORGED}", "GET"), (f"/x\r{FORGED}", "GET"), ("/a b\\c\x1b[31m\x00\x7f", "GET"),
        ("/u\u2028v\u2029w\u0085\u202e", "GET"), ("/p", "G T\n"),
    ]
    for path, method in hostile:
        fields = (at, "req_1", "ws_2", method, path, "get_p", 200, 0.5)
        line = text.line(fields)
        assert len(line.split(" ")) == 8, repr(line)  # eight fields, one line
        assert line.isprintable() and line.isascii() and "\\" in line, repr(line)
        encoded = as_json.line(fields)
        assert encoded.isprintable() and "\u2028" not in encoded and "\u2029" not in encoded, repr(encoded)
        parsed = json.loads(encoded)
        assert (parsed["path"], parsed["method"]) == (path, method)  # JSON keeps the value, escaped
    assert text.line((at, "req_1", "ws_2", "GET", "/x\ny z", None, 404, 0.5)).split()[4] == "/x\\ny\\x20z"
    assert text.line((at, "req_1", "ws_2", "GET", "/é\\", None, 404, 0.5)).split()[4] == "/\\xe9\\\\"
    assert text.line((at, "req_1", "ws_2", "GET", "/batch-calls/b_1?x", None, 404, 0.5)).split()[4] == (
        "/batch-calls/b_1?x"  # what was printable ASCII is written as is
    )


def test_a_newline_in_a_path_writes_one_line_on_a_real_server() -> None:
    process, base = start_server("--clock", "manual")
    try:
        with httpx.Client(base_url=base) as http:
            answer = http.get("/x%0a" + FORGED.replace(" ", "%20"))
            assert answer.status_code == 404
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    lines = [line for line in stderr.splitlines() if "req_" in line]
    assert not any(line.startswith(FORGED[:24]) for line in lines), lines
    [line] = [line for line in lines if answer.headers["x-request-id"] in line]
    assert TEXT_LINE.match(line) and "/x\\n2026" in line
