"""Exit 2 with one clear sentence, never a traceback: bad options and targets that are not the API."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from contracts.cli import main

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Run:
    def run(*args: str) -> tuple[int, str, str]:
        code = main(["run", "--api-key", "sk_test_sandbox", "--timeout", "0.5", *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def assert_one_sentence(err: str, *words: str) -> None:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("batchcalls-contract: "), err
    for word in words:
        assert word in lines[0], lines[0]


@contextmanager
def tcp_server(on_connection: Callable[[socket.socket, threading.Event], None]) -> Iterator[str]:
    """A raw TCP server on a free port; yields its base URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                on_connection(connection, stop)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/api/public/v1"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


class HtmlPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        page = b"<!doctype html><title>Welcome</title><h1>It works</h1>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_unreachable_port(run_cli: Run) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, _, err = run_cli("--base-url", f"http://127.0.0.1:{port}/api/public/v1")
    assert code == 2
    assert_one_sentence(err, "cannot connect", f"127.0.0.1:{port}")


def test_a_port_that_is_not_http(run_cli: Run) -> None:
    def banner(connection: socket.socket, stop: threading.Event) -> None:
        connection.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")

    with tcp_server(banner) as url:
        code, _, err = run_cli("--base-url", url)
    assert code == 2
    assert_one_sentence(err, f"127.0.0.1:{url.split(':')[2].split('/')[0]}")
    assert "does not answer HTTP" in err or "reset the connection without an HTTP answer" in err


def test_a_server_that_hangs(run_cli: Run) -> None:
    def hang(connection: socket.socket, stop: threading.Event) -> None:
        stop.wait(3)

    with tcp_server(hang) as url:
        code, _, err = run_cli("--base-url", url)
    assert code == 2
    assert_one_sentence(err, "did not answer within 0.5 s")


def test_a_server_answering_html(run_cli: Run) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), HtmlPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        code, _, err = run_cli("--base-url", f"http://127.0.0.1:{server.server_address[1]}/")
    finally:
        server.shutdown()
        server.server_close()
    assert code == 2
    assert_one_sentence(err, "HTML", "/api/public/v1")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--base-url", "ftp://example.com"], ["--base-url must be an http(s) URL"]),
        (["--base-url", "http://127.0.0.1:1/api", "--spec", "missing.json"], ["cannot read the OpenAPI"]),
        (["--base-url", "http://127.0.0.1:1/api", "--include-tag", "Nope"], ["no operation has the tag"]),
    ],
)
def test_usage_errors(run_cli: Run, args: list[str], words: list[str]) -> None:
    code, _, err = run_cli(*args)
    assert code == 2
    assert_one_sentence(err, *words)


def test_a_bad_fixtures_file(run_cli: Run, tmp_path: Path) -> None:
    fixtures = tmp_path / "fixtures.yaml"
    fixtures.write_text("agents:\n  ready: [1, 2]\n", encoding="utf-8")
    code, _, err = run_cli("--base-url", "http://127.0.0.1:1/api", "--fixtures", str(fixtures))
    assert code == 2
    assert "Traceback" not in err and "'agents.ready' must be an id" in err


def test_the_api_key_is_required(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BATCHCALLS_API_KEY", raising=False)
    assert main(["run", "--base-url", "http://127.0.0.1:1/api"]) == 2
    assert_one_sentence(capsys.readouterr().err, "--api-key")


def test_a_wrong_key_against_the_sandbox(
    capsys: pytest.CaptureFixture[str], contract_sandbox: Callable[..., str]
) -> None:
    url = contract_sandbox()
    assert main(["run", "--base-url", url, "--api-key", "sk_wrong", "--suite", "rules"]) == 2
    assert_one_sentence(capsys.readouterr().err, "refused the API key")
