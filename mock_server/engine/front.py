"""The ASGI front of the sandbox: a request id for every request, and a short way to the operations.

A request to an operation of a served spec goes straight to its endpoint, which answers with the id
itself. Everything else (the control API, the spec files, unknown paths, wrong methods, lifespan)
goes to the Starlette app behind, and gets the id added to its answer here. Every request gets a
`Seen` in its state, filled in by whoever answers (see engine/seen.py), and the observer (the
request journal and the access log) is told of it once answered.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server.engine.router import PathEntry, PathTable, request_path
from mock_server.engine.seen import SEEN, UNRECORDED, Seen

REQUEST_ID_HEADER = b"x-request-id"


# Told of each request once its answer is out: (scope, received at (wall clock), duration in ms).
Observer = Callable[[Scope, float, float], None]


class Front:
    def __init__(
        self,
        app: ASGIApp,
        tables: Sequence[PathTable[PathEntry]],
        new_id: Callable[[], str],
        observer: Observer | None = None,
    ) -> None:
        self.app = app
        self.tables = tuple(tables)
        self.new_id = new_id
        # Called here rather than from a middleware of its own: one more coroutine around every
        # request cost the sandbox ~5 % of its throughput (see docs/ARCHITECTURE.md, Observing).
        self.observer = observer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = self.new_id()
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        seen = state[SEEN] = Seen()
        observer = self.observer
        if observer is not None and UNRECORDED in state:
            observer = None
        received_at = started = 0.0
        if observer is not None:
            received_at = time.time()
            started = time.perf_counter()
        try:
            size = 0
            for name, value in scope["headers"]:  # for the request journal's byte bound
                size += len(name) + len(value)
            seen.header_bytes = size
            path = request_path(scope)
            for table in self.tables:
                found = table.lookup(path)
                if found is not None:
                    entry, params = found
                    if scope["method"] in entry.methods:
                        scope["path_params"] = params
                        await entry.endpoint(scope, receive, send)
                        return
                    break

            async def receive_and_note() -> Message:
                message = await receive()
                seen.keep_request_chunk(message.get("body", b""))
                return message

            async def send_with_id(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = with_request_id(list(message.get("headers", [])), request_id)
                seen.keep_message(message)
                await send(message)

            await self.app(scope, receive_and_note, send_with_id)
        finally:  # an exception still went out as a 500 (Starlette's last resort): observed too
            if observer is not None:
                observer(scope, received_at, (time.perf_counter() - started) * 1000)


def with_request_id(headers: list[tuple[bytes, bytes]], request_id: str) -> list[tuple[bytes, bytes]]:
    """The answer's headers with its `X-Request-Id`: a replayed answer keeps the one it had."""
    if not any(name == REQUEST_ID_HEADER for name, _ in headers):
        headers.append((REQUEST_ID_HEADER, request_id.encode()))
    return headers


def request_id_of(scope: Scope) -> str:
    return str(scope.get("state", {}).get("request_id", "req_unknown"))
