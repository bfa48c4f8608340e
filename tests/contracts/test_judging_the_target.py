"""Judge the target, not the user: a buggy API is run and reported (exit 1); exit 2 only when the URL
is clearly not the API (nothing listens, HTML, 404 under every candidate base path, a refused key).

The targets are the sandbox behind small ASGI wrappers that break it on purpose, served on
127.0.0.1 and an OS-chosen port.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from support import START

from contracts.cli import main
from contracts.inprocess import API_BASE_PATH, serve
from mock_server.app import create_app
from mock_server.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]
KEY = "sk_test_sandbox"


def sandbox() -> App:
    app: App = create_app(Settings(start_at=START))
    return app


def rewriting_headers(app: App, change: Callable[[Headers], Headers]) -> App:
    """The API's answers with their headers changed (the control API left alone)."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_mock"):
            return await app(scope, receive, send)

        async def patched(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": change(list(message["headers"]))}
            await send(message)

        await app(scope, receive, patched)

    return wrapped


def mounted_at(app: App, prefix: str) -> App:
    """The sandbox's Truedy API served under `prefix` (the root when empty) instead of /api/public/v1."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and not path.startswith("/_mock"):
            moved = API_BASE_PATH + path.removeprefix(prefix) if path.startswith(prefix) else "/nowhere"
            scope = {**scope, "path": moved, "raw_path": moved.encode()}
        await app(scope, receive, send)

    return wrapped


def answering_probe(app: App, answer: Response) -> App:
    """The sandbox, except that the probe (GET /batch-calls?limit=1) gets `answer`."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/batch-calls") and scope["method"] == "GET":
            if scope.get("query_string") == b"limit=1":
                return await answer(scope, receive, send)
        await app(scope, receive, send)

    return wrapped


def without(name: bytes) -> Callable[[Headers], Headers]:
    return lambda headers: [(k, v) for k, v in headers if k.lower() != name]


def text_plain(headers: Headers) -> Headers:
    return [*without(b"content-type")(headers), (b"content-type", b"text/plain; charset=utf-8")]


def kit(capsys: pytest.CaptureFixture[str], base_url: str, *args: str) -> tuple[int, str, str]:
    code = main(["run", "--base-url", base_url, "--api-key", KEY, "--suite", "rules", "--quiet", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("change", [text_plain, without(b"content-type")], ids=["text/plain", "missing"])
def test_json_with_a_wrong_content_type_is_a_finding(
    change: Callable[[Headers], Headers], capsys: pytest.CaptureFixture[str]
) -> None:
    with serve(rewriting_headers(sandbox(), change)) as origin:
        code, out, err = kit(capsys, origin)
    assert code == 1, out + err
    assert "FAILED  probe/content_type_conformance" in out
    assert "FAILED  rules/response.content_type_conformance" in out
    assert "a JSON body with" in out and "the spec documents application/json" in out


def test_a_server_error_on_the_probe_is_a_finding(capsys: pytest.CaptureFixture[str]) -> None:
    broken = JSONResponse({"error": {"code": "internal_error", "message": "boom", "details": None}}, 500)
    with serve(answering_probe(sandbox(), broken)) as origin:
        code, out, err = kit(capsys, origin)
    assert code == 1, out + err
    assert "FAILED  probe/not_a_server_error" in out and "a server error 500" in out


def test_a_malformed_envelope_on_the_probe_is_a_finding(capsys: pytest.CaptureFixture[str]) -> None:
    with serve(answering_probe(sandbox(), JSONResponse({"items": []}))) as origin:
        code, out, err = kit(capsys, origin)
    assert code == 1, out + err
    assert "FAILED  probe/truedy_success_envelope" in out and "must be {data, meta}" in out


@pytest.mark.parametrize("prefix", ["", "/partner/v9"], ids=["root", "own-path"])
def test_the_api_may_be_at_any_base_path(prefix: str, capsys: pytest.CaptureFixture[str]) -> None:
    with serve(mounted_at(sandbox(), prefix)) as origin:
        code, out, err = kit(capsys, origin + prefix)  # the root: the spec's server path 404s first
    assert code == 0, out + err
    assert "CONFORMANT" in out


def test_404_under_every_candidate_is_not_the_api(capsys: pytest.CaptureFixture[str]) -> None:
    async def missing(request: Request) -> Response:
        return JSONResponse({"detail": "Not Found"}, 404)

    app = Starlette(routes=[Route("/{path:path}", missing)])
    with serve(app) as origin:
        code, _, err = kit(capsys, origin)
    assert code == 2
    line = err.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line
    assert f"GET {origin}/api/public/v1/batch-calls answered 404" in line
    assert f"GET {origin}/batch-calls answered 404" in line


@contextmanager
def starting_later(delay: float) -> Iterator[str]:
    """A sandbox whose port accepts connections only after `delay` seconds; yields its origin."""
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    ready = threading.Event()
    stop = threading.Event()

    def later() -> None:
        time.sleep(delay)
        with serve(sandbox(), port=port):
            ready.set()
            stop.wait(60)

    thread = threading.Thread(target=later, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        thread.join(timeout=10)


def test_wait_polls_until_the_target_answers(capsys: pytest.CaptureFixture[str]) -> None:
    with starting_later(1.0) as origin:
        code, out, err = kit(capsys, origin, "--wait", "20")
    assert code == 0, out + err


def test_wait_gives_up_saying_how_long_it_waited(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    started = time.monotonic()
    code, _, err = kit(capsys, f"http://127.0.0.1:{port}", "--wait", "0.6")
    assert code == 2 and time.monotonic() - started >= 0.6
    line = err.strip()
    assert len(line.splitlines()) == 1
    assert f"nothing answered HTTP at 127.0.0.1:{port} within --wait 0.6 s" in line
