"""A hostile target for the kit and the proxy: what a server (or a proxy client) could send to break
the tools that read it. Every test of the kit's and the proxy's bounds and escaping uses these.

The API answers come from the real sandbox, changed by small ASGI wrappers, so a run gets as far as
a real target lets it: ids that cannot be sent back as they are, error texts full of control
characters, answers of a gigabyte, streams that never end, requests never answered. The other apps
(`echo`, `gzipped`) serve the proxy's tests. Serve any of them with `contracts.inprocess.serve`.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import zlib
from collections.abc import Awaitable, Callable, MutableMapping
from functools import cache
from typing import Any

from support import START

from mock_server.app import create_app
from mock_server.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

KEY = "sk_test_sandbox"
API = "/api/public/v1"


# Every C0 control character, DEL and C1 controls, XML's CDATA end and a noncharacter it forbids,
# terminal escapes (a colour, clear screen, a hyperlink, the window title), a forged console line,
# Markdown and HTML injection, a bidi override.
HOSTILE_TEXT = (
    "".join(chr(n) for n in range(32))
    + "\x7f\x85\x9b"
    + "\ufffe ]]> "
    + "\x1b[31mRED\x1b[0m \x1b[2J \x1b]8;;https://evil.example/\x07click\x1b]8;;\x07 \x1b]0;owned\x07 "
    + "\nFAILED  probe/forged — a line the target wrote\n"
    + "[a link](https://evil.example/) https://evil.example/bare www.evil.example mail@evil.example "
    + "![x](https://evil.example/x.png) "
    + "<script>alert(1)</script><img src=x onerror=alert(2)> | cell | break |\n|---|---|\n"
    + "~~~\n```\n# heading\n"
    + "\u202egnp.exe"
)
# lone surrogates travel as JSON escapes: a Python JSON reader (Schemathesis') takes them, orjson not
LONE_SURROGATES = "\ud800 \udfff \udc80"
# the characters that must never reach a terminal or a report as they are
FORBIDDEN = [chr(n) for n in range(32) if chr(n) not in "\n\t"] + ["\x7f", "\x85", "\x9b", "\ufffe", "\u202e"]
FORBIDDEN += list(LONE_SURROGATES.replace(" ", ""))

HOSTILE_IDS: dict[str, Any] = {
    "newline": "batch_1\nFAILED  probe/forged",
    "control": "batch_\x1b[2J\x00\x07",
    "huge": "batch_" + "9" * 1_000_000,
    "slash-and-query": "../../_mock/reset?scope=all#x",
    "number": 42,
    "object": {"nested": ["id"]},
}

GIGABYTE = 1024**3


def sandbox() -> App:
    """The real sandbox (Truedy and Zudu), manual clock from START."""
    app: App = create_app(Settings(clock="manual", start_at=START, seed=7, quiet=True))
    return app


def _is_api(scope: Scope) -> bool:
    return scope["type"] == "http" and not scope["path"].startswith("/_mock")


def _is_probe(scope: Scope) -> bool:
    listing = scope["method"] == "GET" and scope["path"] == API + "/batch-calls"
    return listing and scope["query_string"] == b"limit=1"


def rewriting_json(app: App, change: Callable[[Scope, int, Any], Any]) -> App:
    """The API's JSON answers replaced by `change(scope, status, body)` (ASCII JSON: lone surrogates
    travel as escapes, as a hostile server can send them)."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if not _is_api(scope):
            return await app(scope, receive, send)
        start: Message = {}
        parts: list[bytes] = []

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                parts.append(message.get("body", b""))

        await app(scope, receive, keep)
        body = b"".join(parts)
        headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        if body and any(k.lower() == b"content-type" and b"json" in v for k, v in headers):
            body = json.dumps(change(scope, start["status"], json.loads(body))).encode()
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return wrapped


def with_batch_id(app: App, value: Any) -> App:
    """Every batch call created (POST /batch-calls answered 201) comes back with `value` as its id."""

    def change(scope: Scope, status: int, body: Any) -> Any:
        if scope["method"] == "POST" and scope["path"] == API + "/batch-calls" and status == 201:
            body["data"]["id"] = value
        return body

    return rewriting_json(app, change)


def with_hostile_text(app: App) -> App:
    """Every error answer's code and message are HOSTILE_TEXT; every name in a list answer carries
    LONE_SURROGATES as well."""

    def change(scope: Scope, status: int, body: Any) -> Any:
        if status >= 400 and isinstance(body, dict) and isinstance(body.get("error"), dict):
            body["error"]["code"] = HOSTILE_TEXT
            body["error"]["message"] = HOSTILE_TEXT
        data = body.get("data") if isinstance(body, dict) else None
        for item in data if isinstance(data, list) else []:
            if isinstance(item, dict) and "name" in item:
                item["name"] = HOSTILE_TEXT + LONE_SURROGATES
        return body

    return rewriting_json(app, change)


# answers to every API request but the probe ---------------------------------------------------------
Behaviour = Callable[[Scope, Receive, Send], Awaitable[None]]


def app_of(behaviour: Behaviour) -> App:
    """`behaviour` for every HTTP request, as a server of its own."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await behaviour(scope, receive, send)

    return app


def answering(
    app: App, behaviour: Behaviour, probe_too: bool = False, ending: str = ""
) -> App:
    """The sandbox, but API requests (those whose path ends with `ending`) get `behaviour`."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if _is_api(scope) and (probe_too or not _is_probe(scope)) and scope["path"].endswith(ending):
            return await behaviour(scope, receive, send)
        await app(scope, receive, send)

    return wrapped


async def _start(send: Send, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": headers})


async def gigabyte(scope: Scope, receive: Receive, send: Send) -> None:
    """200, a JSON content type and a Content-Length of 1 GiB, sent (lazily) for as long as it is read."""
    await _start(send, [(b"content-type", b"application/json"), (b"content-length", str(GIGABYTE).encode())])
    chunk = b" " * 65_536
    for _ in range(GIGABYTE // len(chunk)):
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def endless(scope: Scope, receive: Receive, send: Send) -> None:
    """200 and a chunked body that never ends: 4 times the kit's bound sent as fast as it is read,
    then nothing more, never the end. (Sending for ever spun this server's loop once the client had
    gone, uvicorn dropping each send at once: the target stopped answering anything else.)"""
    await _start(send, [(b"content-type", b"application/json")])
    chunk = b" " * 65_536
    for _ in range(4 * 8 * 1024 * 1024 // len(chunk)):
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await asyncio.sleep(0)
    await asyncio.Event().wait()


async def trickle(scope: Scope, receive: Receive, send: Send) -> None:
    """200 and a chunked body of one byte every 50 ms, forever: never large, never done."""
    await _start(send, [(b"content-type", b"application/json")])
    while True:
        await send({"type": "http.response.body", "body": b" ", "more_body": True})
        await asyncio.sleep(0.05)


async def silent(scope: Scope, receive: Receive, send: Send) -> None:
    """The request is read and never answered (until the client goes away)."""
    while (await receive())["type"] != "http.disconnect":
        pass


# for the proxy ----------------------------------------------------------------------------------------
ECHO_HEADERS = [
    (b"content-type", b"application/json"),
    (b"date", b"Mon, 02 Mar 2026 08:00:00 GMT"),
    (b"server", b"hostile-target/1"),
    (b"set-cookie", b"a=1"),
    (b"set-cookie", b"b=2"),
    (b"x-Mixed-Case", b"kept"),
]


async def echo(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers, as JSON, exactly what it received: method, request target, every header line in
    order, the body's length; with the answer headers of ECHO_HEADERS."""
    if scope["type"] != "http":
        return
    size = 0
    while True:
        message = await receive()
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    target = scope["raw_path"] + (b"?" + scope["query_string"] if scope["query_string"] else b"")
    received = {
        "method": scope["method"],
        "target": target.decode("latin-1"),
        "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]],
        "body_length": size,
    }
    body = json.dumps(received).encode()
    headers = [*ECHO_HEADERS, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


BROKEN_ENVELOPE = b'{"items": []}'  # a 200 list without {data, meta}


@cache
def bomb(decoded_size: int = 256 * 1024 * 1024) -> bytes:
    """gzip of `decoded_size` zero bytes (about 1/1000 of it)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1024 * 1024)
    parts = [compressor.compress(zeros) for _ in range(decoded_size // len(zeros))]
    return b"".join(parts) + compressor.flush()


def answering_bytes(body: bytes, encoding: bytes | Callable[[], bytes] | None = None) -> App:
    """An API whose every answer is 200 `body` as given, with a JSON content type and, when given,
    a Content-Encoding (the body is then already encoded that way, or claims to be; a callable
    names one per answer)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"x-request-id", b"req_1"),
            *([(b"content-encoding", encoding() if callable(encoding) else encoding)] if encoding else []),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def gzip_of(body: bytes) -> bytes:
    return gzip.compress(body)
