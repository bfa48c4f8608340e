"""Every exchange goes to its world's request journal and the access log.

`Front` times each request and, once the answer is out, calls the `Recorder`, which reads what the
engine noted of it in the
scope's state (`engine/seen.py`: the bodies received and sent, the status and headers answered,
the operation, the world, the violations answered, an idempotent replay, the fault that fired):
the control API, 404s, malformed requests and 5xx included. A request belongs to the world its
credentials name (the default world without credentials); one naming no workspace is in no
journal (its access-log line says `-`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from starlette.types import Scope

from mock_server.engine.kept import exact
from mock_server.engine.seen import BODY_LIMIT, SEEN, Seen, Unencoded
from mock_server.observe.access_log import AccessLog
from mock_server.observe.journal import Journal
from mock_server.store.base import Workspace

# The journal's own reads are not journaled: a console polling it would fill it with itself.
UNJOURNALED_PREFIX = "/_mock/requests"


class JournaledWorld(Protocol):
    journal: Journal

    @property
    def workspace(self) -> Workspace: ...

    def now(self) -> float: ...


class Worlds(Protocol):
    """Where the recorder finds a request's world (the sandbox)."""

    @property
    def worlds(self) -> Mapping[str, JournaledWorld]: ...

    def world_of(self, headers: Mapping[str, str]) -> JournaledWorld | None: ...


class Recorder:
    """The observer `Front` calls once each request is answered (not for the state file's replay)."""

    def __init__(self, worlds: Worlds, log: AccessLog | None) -> None:
        self.sandbox = worlds
        self.log = log

    def __call__(self, scope: Scope, received_at: float, duration_ms: float) -> None:
        state = scope["state"]
        seen: Seen = state[SEEN]
        operation_id = seen.operation_id
        named = seen.world
        if operation_id is None:
            world = self._world_of(scope)
        else:  # the pipeline's world, by id: `reset?scope=all` renews it
            world = self.sandbox.worlds.get(named.workspace.id) if named is not None else None
        path: str = scope["path"]
        request_id: str = state["request_id"]
        world_id = None
        if world is not None:
            world_id = world.workspace.id
            journal = world.journal
            if journal.size and not path.startswith(UNJOURNALED_PREFIX):
                request_body, response_body = seen.request_body, seen.response_body
                truncated = len(request_body) > BODY_LIMIT
                if truncated:
                    request_body = request_body[:BODY_LIMIT]
                if isinstance(response_body, Unencoded):  # never over the limit
                    response_size = response_body.size
                else:
                    if len(response_body) > BODY_LIMIT:
                        truncated, response_body = True, response_body[:BODY_LIMIT]
                    elif response_body:
                        # orjson's bytes hold its whole buffer (8 KiB for a 900-byte answer): a
                        # journal of them took 9 times the memory it counted, a fresh page a request
                        response_body = exact(response_body)
                    response_size = len(response_body)
                at = seen.simulated_at
                journal.record((  # an Exchange's fields: a plain tuple is the cheapest to build
                    request_id, received_at, world.now() if at is None else at, world_id, scope["method"],
                    path, scope["query_string"], operation_id, seen.template, scope["headers"],
                    request_body, seen.status, seen.response_headers or (), response_body, duration_ms,
                    seen.violations, seen.idempotent_replay, seen.fault, truncated,
                    len(request_body) + response_size,
                ))
        log = self.log
        if log is not None:
            log.note((received_at, request_id, world_id, scope["method"], path, operation_id, seen.status,
                      duration_ms))

    def _world_of(self, scope: Scope) -> JournaledWorld | None:
        """The world a request the pipeline did not handle belongs to: as its credentials name it."""
        headers = {
            name.decode("latin-1"): value.decode("latin-1") for name, value in reversed(scope["headers"])
        }
        return self.sandbox.world_of(headers)
