"""`batchcalls-mock readiness`: exit statuses and messages, against a scripted stand-in server.

The command against the real sandbox is exercised in tests/readiness/test_examples.py.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from mock_server.cli import main

REPORT = {"workspace_id": "ws_1", "started_at": "2026-12-01T09:00:00Z", "verdict": "ready", "checks": []}


class _Stub(BaseHTTPRequestHandler):
    verdict = "ready"
    seen: list[dict[str, str]] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        _Stub.seen.append({k.lower(): v for k, v in self.headers.items()})
        if self.headers.get("Authorization") != "Bearer sk_good":
            return self._answer(401, "application/json",
                                json.dumps({"error": {"code": "unauthorized", "message": "unknown API key"}}))
        fmt = self.path.split("format=")[-1]
        if fmt == "json":
            return self._answer(200, "application/json", json.dumps({**REPORT, "verdict": _Stub.verdict}))
        return self._answer(200, "text/plain", f"rendered as {fmt}\n")

    def _answer(self, status: int, media: str, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Stub.verdict, _Stub.seen = "ready", []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_prints_markdown_and_exits_0_when_ready(stub: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["readiness", "--url", stub, "--api-key", "sk_good", "--admin-token", "t0k"]) == 0
    assert capsys.readouterr().out == "rendered as md\n"
    assert _Stub.seen[0]["x-mock-admin-token"] == "t0k"


def test_writes_html_and_exits_1_when_not_ready(stub: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    _Stub.verdict = "not_ready"
    target = tmp_path / "report.html"
    assert main(["readiness", "--url", stub, "--api-key", "sk_good", "--html", str(target)]) == 1
    assert target.read_text() == "rendered as html\n"
    assert "verdict not_ready" in capsys.readouterr().out


def test_a_refused_key_is_one_sentence_and_exit_2(stub: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["readiness", "--url", stub, "--api-key", "sk_bad"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"the sandbox at {stub} refused the credentials: unknown API key"


def test_an_unreachable_sandbox_is_one_sentence_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert main(["readiness", "--url", f"http://127.0.0.1:{port}", "--api-key", "k"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"cannot reach the sandbox at http://127.0.0.1:{port}") and err.count("\n") == 1


@pytest.mark.parametrize("text", ["nan", "-1", "0", "inf", "soon"])
def test_a_timeout_that_is_no_wait_is_one_sentence_and_exit_2(
    text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as ended:
        main(["readiness", "--url", "http://127.0.0.1:9", "--api-key", "k", "--timeout", text])
    assert ended.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "argument --timeout: " in err and text in err, err
