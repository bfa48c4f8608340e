"""The outermost ASGI middleware: every exchange goes to its world's request journal and the access log.

It sees each request as received and each answer as sent (the control API, 404s, malformed
requests and 5xx included); what only the engine knows (the operation, the violations answered,
an idempotent replay, the fault that fired, the world) it reads from the pipeline's `Seen` in the
scope's state. A request belongs to the world its credentials name; one naming no workspace is in
no journal (its access-log line says `-`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server.engine.front import UNRECORDED, request_id_of
from mock_server.engine.pipeline import SEEN, Seen
from mock_server.observe.access_log import AccessLog
from mock_server.observe.journal import BODY_LIMIT, Exchange, Journal, cut

# The journal's own reads are not journaled: a console polling it would fill it with itself.
UNJOURNALED_PREFIX = "/_mock/requests"
NO_ANSWER = 499  # the client went away before an answer started (nginx's "client closed request")


class JournaledWorld(Protocol):
    journal: Journal

    @property
    def id(self) -> str: ...

    def now(self) -> float: ...


class Worlds(Protocol):
    """Where the recorder finds a request's world (the sandbox)."""

    @property
    def worlds(self) -> Mapping[str, JournaledWorld]: ...

    def world_of(self, headers: Mapping[str, str]) -> JournaledWorld | None: ...


class Recorder:
    def __init__(self, app: ASGIApp, worlds: Worlds, log: AccessLog | None) -> None:
        self.app = app
        self.sandbox = worlds
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("state", {}).get(UNRECORDED):
            await self.app(scope, receive, send)
            return
        received_at = time.time()
        started = time.perf_counter()
        request_body: list[bytes] = []  # the chunks, up to the first past BODY_LIMIT in all
        response_body: list[bytes] = []
        answer: list[Message] = []  # the http.response.start message, once sent
        sizes = [0, 0]  # bytes kept of the request's body and of the answer's

        async def receive_and_keep() -> Message:
            message = await receive()
            chunk = message.get("body")
            if chunk and sizes[0] <= BODY_LIMIT:
                request_body.append(chunk)
                sizes[0] += len(chunk)
            return message

        async def send_and_keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer.append(message)
            else:
                chunk = message.get("body")
                if chunk and sizes[1] <= BODY_LIMIT:
                    response_body.append(chunk)
                    sizes[1] += len(chunk)
            await send(message)

        try:
            await self.app(scope, receive_and_keep, send_and_keep)
        finally:  # an exception still went out as a 500 (Starlette's last resort), and is logged
            duration_ms = (time.perf_counter() - started) * 1000
            self._observe(scope, received_at, duration_ms, request_body, answer, response_body)

    def _observe(
        self,
        scope: Scope,
        received_at: float,
        duration_ms: float,
        request_body: list[bytes],
        answer: list[Message],
        response_body: list[bytes],
    ) -> None:
        seen: Seen | None = scope.get("state", {}).get(SEEN)
        world = self._world(scope, seen)
        if answer:
            status: int = answer[0]["status"]
            response_headers = answer[0].get("headers", [])
        else:
            status, response_headers = NO_ANSWER, []
        operation_id = seen.operation_id if seen is not None else None
        path: str = scope["path"]
        if world is not None and not path.startswith(UNJOURNALED_PREFIX):
            kept_request, cut_request = cut(_joined(request_body))
            kept_response, cut_response = cut(_joined(response_body))
            at = seen.simulated_at if seen is not None else None
            world.journal.record(
                Exchange(
                    request_id=request_id_of(scope),
                    received_at=received_at,
                    simulated_at=at if at is not None else world.now(),
                    workspace_id=world.id,
                    method=scope["method"],
                    path=path,
                    query=scope.get("query_string", b""),
                    operation_id=operation_id,
                    template=seen.template if seen is not None else None,
                    request_headers=scope["headers"],
                    request_body=kept_request,
                    status=status,
                    response_headers=response_headers,
                    response_body=kept_response,
                    duration_ms=duration_ms,
                    violations=seen.violations if seen is not None else None,
                    idempotent_replay=seen is not None and seen.idempotent_replay,
                    fault=seen.fault if seen is not None else None,
                    truncated=cut_request or cut_response,
                )
            )
        if self.log is not None:
            self.log.write(
                received_at, request_id_of(scope), world.id if world is not None else None,
                scope["method"], path, operation_id, status, duration_ms,
            )

    def _world(self, scope: Scope, seen: Seen | None) -> JournaledWorld | None:
        """The world the request belongs to, as the pipeline saw it, else as its credentials name it.
        Looked up by id: a world reset as a whole (`/_mock/reset?scope=all`) is a new object."""
        if seen is not None:
            return self.sandbox.worlds.get(seen.world.workspace.id) if seen.world is not None else None
        headers = {
            name.decode("latin-1"): value.decode("latin-1") for name, value in reversed(scope["headers"])
        }
        return self.sandbox.world_of(headers)


def _joined(chunks: list[bytes]) -> bytes:
    """The body: usually one chunk, kept as is (no copy)."""
    if not chunks:
        return b""
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)
