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

from mock_server.core.errors import MockError
from mock_server.engine.header_limits import MAX_HEADER_BYTES, MAX_HEADER_FIELDS, too_large
from mock_server.engine.router import PathEntry, PathTable, request_path
from mock_server.engine.seen import SEEN, UNRECORDED, Seen

REQUEST_ID_HEADER = b"x-request-id"


# Told of each request once its answer is out: (scope, received at (wall clock), duration in ms).
Observer = Callable[[Scope, float, float], None]
# The answer to a request refused before anything else (its headers too large), in the envelope of
# the dialect its path falls under.
Refusal = Callable[[Scope, MockError], ASGIApp]


class Front:
    def __init__(
        self,
        app: ASGIApp,
        tables: Sequence[PathTable[PathEntry]],
        new_id: Callable[[], str],
        observer: Observer | None = None,
        refuse: Refusal | None = None,
    ) -> None:
        self.app = app
        self.tables = tuple(tables)
        self.new_id = new_id
        # Called here rather than from a middleware of its own: one more coroutine around every
        # request cost the sandbox ~5 % of its throughput (see docs/ARCHITECTURE.md, Observing).
        self.observer = observer
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = self.new_id()
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        seen = state[SEEN] = Seen()
        observer = self.observer
        replayed = UNRECORDED in state  # a request accepted before, rebuilding state: as it was then
        if replayed:
            observer = None
        received_at = started = 0.0
        if observer is not None:
            received_at = time.time()
            started = time.perf_counter()
        try:
            headers = scope["headers"]
            size = 0
            for name, value in headers:  # (header_limits.header_bytes, inlined: a call a request saved)
                size += len(name) + len(value)
            seen.header_bytes = size
            if (len(headers) > MAX_HEADER_FIELDS or size > MAX_HEADER_BYTES) and self.refuse and not replayed:
                await self._refuse(scope, receive, send, seen, too_large(len(headers), size))
                return
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

            await self.app(scope, receive_and_note, noting(send, seen, request_id))
        finally:  # an exception still went out as a 500 (Starlette's last resort): observed too
            if observer is not None:
                observer(scope, received_at, (time.perf_counter() - started) * 1000)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, seen: Seen, error: MockError | None
    ) -> None:
        """Answer before any other work: the request is not routed, and its headers are not kept."""
        assert error is not None and self.refuse is not None
        seen.headers_refused = True
        await self.refuse(scope, error)(scope, receive, noting(send, seen, scope["state"]["request_id"]))


def noting(send: Send, seen: Seen, request_id: str) -> Send:
    """`send` that notes each message in `seen` and adds the request's id to the answer."""

    async def send_with_id(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = with_request_id(list(message.get("headers", [])), request_id)
        seen.keep_message(message)
        await send(message)

    return send_with_id


def with_request_id(headers: list[tuple[bytes, bytes]], request_id: str) -> list[tuple[bytes, bytes]]:
    """The answer's headers with its `X-Request-Id`: a replayed answer keeps the one it had."""
    if not any(name == REQUEST_ID_HEADER for name, _ in headers):
        headers.append((REQUEST_ID_HEADER, request_id.encode()))
    return headers


def request_id_of(scope: Scope) -> str:
    return str(scope.get("state", {}).get("request_id", "req_unknown"))
