"""The outermost ASGI middleware: every exchange goes to its world's request journal and the access log.

It times each request and, once the answer is out, reads what the engine noted of it in the
scope's state (`engine/seen.py`: the bodies received and sent, the status and headers answered,
the operation, the world, the violations answered, an idempotent replay, the fault that fired):
the control API, 404s, malformed requests and 5xx included. A request belongs to the world its
credentials name (the default world without credentials); one naming no workspace is in no
journal (its access-log line says `-`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Protocol

from starlette.types import ASGIApp, Receive, Scope, Send

from mock_server.engine.seen import BODY_LIMIT, SEEN, UNRECORDED, Seen
from mock_server.observe.access_log import AccessLog
from mock_server.observe.journal import Exchange, Journal

# The journal's own reads are not journaled: a console polling it would fill it with itself.
UNJOURNALED_PREFIX = "/_mock/requests"


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
        if scope["type"] != "http" or UNRECORDED in scope.get("state", ()):
            await self.app(scope, receive, send)
            return
        received_at = time.time()
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:  # an exception still went out as a 500 (Starlette's last resort), and is logged
            self._observe(scope, received_at, (time.perf_counter() - started) * 1000)

    def _observe(self, scope: Scope, received_at: float, duration_ms: float) -> None:
        state = scope["state"]
        seen: Seen = state[SEEN]
        world = self._world(scope, seen)
        path: str = scope["path"]
        request_id: str = state["request_id"]
        if world is not None and world.journal.size and not path.startswith(UNJOURNALED_PREFIX):
            request_body, response_body = seen.request_body, seen.response_body
            truncated = len(request_body) > BODY_LIMIT or len(response_body) > BODY_LIMIT
            if truncated:
                request_body, response_body = request_body[:BODY_LIMIT], response_body[:BODY_LIMIT]
            at = seen.simulated_at
            world.journal.record(tuple.__new__(Exchange, (  # (Exchange(...) is twice as slow)
                request_id, received_at, world.now() if at is None else at, world.id, scope["method"],
                path, scope["query_string"], seen.operation_id, seen.template, scope["headers"],
                request_body, seen.status, seen.response_headers or (), response_body, duration_ms,
                seen.violations, seen.idempotent_replay, seen.fault, truncated,
            )))
        if self.log is not None:
            self.log.write(
                received_at, request_id, world.id if world is not None else None, scope["method"], path,
                seen.operation_id, seen.status, duration_ms,
            )

    def _world(self, scope: Scope, seen: Seen) -> JournaledWorld | None:
        """The world the request belongs to, as the pipeline saw it, else as its credentials name it.
        Looked up by id: a world reset as a whole (`/_mock/reset?scope=all`) is a new object."""
        if seen.operation_id is not None:
            return self.sandbox.worlds.get(seen.world.workspace.id) if seen.world is not None else None
        headers = {
            name.decode("latin-1"): value.decode("latin-1") for name, value in reversed(scope["headers"])
        }
        return self.sandbox.world_of(headers)
