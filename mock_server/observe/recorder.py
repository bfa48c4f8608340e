"""Every exchange goes to its world's request journal and the access log.

`Front` times each request and, once the answer is out, calls the `Recorder`, which reads what the
engine noted of it in the
scope's state (`engine/seen.py`: the bodies received and sent, the status and headers answered,
the operation, the world, the violations answered, an idempotent replay, the fault that fired):
the control API, 404s, malformed requests and 5xx included. A request belongs to the world its
credentials name (the default world without credentials, unless the sandbox has an admin token: then
the default workspace is a tenant like any other, and a request without credentials is nobody's);
one naming no workspace is in no journal (its access-log line says `-`). Operations on the whole
sandbox (their `x-scope` in the control spec: creating, listing and deleting workspaces, a reset of
everything) are in no journal: what they answer (every workspace's keys) is no tenant's to read;
nor are the journal's own operations (`x-journal: own`, `clears`), nor a request refused for the
size of its headers (431).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from starlette.types import Scope

from mock_server.core.errors import Violation
from mock_server.engine.kept import exact
from mock_server.engine.router import request_path
from mock_server.engine.scopes import RequestScope
from mock_server.engine.seen import BODY_LIMIT, CROSS_SITE, SEEN, Seen, Unencoded
from mock_server.observe.access_log import AccessLog
from mock_server.observe.request_journal import ENTRY_OVERHEAD, FIELD_OVERHEAD, Journal, cut
from mock_server.store.base import Workspace

_FAULT_BYTES = 1024  # a fault rule as the entry keeps it (a dict of its fields), its path aside
# A header of an answer: the sandbox's own (content-type, X-Request-Id, Retry-After, Location…),
# never an echo of the request, each under 256 bytes; counted at that, plus its objects, without
# a loop over them on every request
ANSWER_FIELD_BYTES = FIELD_OVERHEAD + 256


class JournaledWorld(Protocol):
    journal: Journal
    in_memory: bool  # False: a cluster's dormant world (its journal is the database's)

    @property
    def workspace(self) -> Workspace: ...

    def now(self) -> float: ...


class Worlds(Protocol):
    """Where the recorder finds a request's world (the sandbox)."""

    @property
    def worlds(self) -> Mapping[str, JournaledWorld]: ...

    def world_of(self, headers: Mapping[str, str], *, anonymous: bool = True) -> JournaledWorld | None: ...


class RequestScopes(Protocol):
    """What a control request is (`engine/scopes.ScopeTable`): sandbox-wide, the journal's own."""

    def classify(self, method: str, path: str, query: bytes) -> RequestScope: ...


class Recorder:
    """The observer `Front` calls once each request is answered (not for the state file's replay).

    `anonymous`: a request without credentials belongs to the default world (no admin token);
    `scopes`: the control API's (what is journaled of the paths under `control_prefix`)."""

    def __init__(self, worlds: Worlds, log: AccessLog | None, scopes: RequestScopes, control_prefix: str,
                 *, anonymous: bool = True) -> None:
        self.sandbox = worlds
        self.log = log
        self.scopes = scopes
        self.control_prefix = control_prefix.rstrip("/") + "/"
        self.anonymous = anonymous

    def __call__(self, scope: Scope, received_at: float, duration_ms: float) -> None:
        state = scope["state"]
        seen: Seen = state[SEEN]
        operation_id = seen.operation_id
        named = seen.world
        if seen.authenticated and named is not None:  # the pipeline's, by id: `reset?scope=all` renews it
            world = self.sandbox.worlds.get(named.workspace.id)
        elif seen.headers_refused or (operation_id is not None and named is None):
            world = None  # refused before any world was named (431, credentials of no workspace)
        else:
            world = self._named_world(scope)
        path: str = scope["path"]
        request_id: str = state["request_id"]
        world_id = None
        if world is not None:
            world_id = world.workspace.id
            journal = world.journal
            if journal.size and (not path.startswith(self.control_prefix) or self._journaled_control(scope)):
                # what the entry holds, and the bytes it holds (counted against the journal's bound)
                request_body, response_body = seen.request_body, seen.response_body
                truncated = len(request_body) > BODY_LIMIT
                if truncated:
                    request_body = cut(request_body)
                if isinstance(response_body, Unencoded):  # encoded (and cut) when read
                    response_size = response_body.size
                    truncated = truncated or response_size > BODY_LIMIT
                else:
                    if len(response_body) > BODY_LIMIT:
                        truncated, response_body = True, cut(response_body)
                    elif response_body:
                        # orjson's bytes hold its whole buffer (8 KiB for a 900-byte answer): a
                        # journal of them took 9 times the memory it counted, a fresh page a request
                        response_body = exact(response_body)
                    response_size = len(response_body)
                # tuples, not the server's lists: an entry of atoms and tuples of atoms leaves the
                # garbage collector's lists at its first collection, instead of being traversed by
                # every young collection for as long as the journal keeps it
                request_headers = tuple(scope["headers"])
                response_headers = tuple(seen.response_headers or ())
                query: bytes = scope["query_string"]
                size = (ENTRY_OVERHEAD + len(path) + len(query) + seen.header_bytes + len(request_body)
                        + response_size + FIELD_OVERHEAD * len(request_headers)
                        + ANSWER_FIELD_BYTES * len(response_headers))
                violations, fault = seen.violations, seen.fault
                if violations is not None or fault is not None:
                    size += _held_by(violations, fault)
                at = seen.simulated_at
                journal.record((  # an Exchange's fields: a plain tuple is the cheapest to build
                    request_id, received_at, world.now() if at is None else at, world_id, scope["method"],
                    path, query, operation_id, seen.template, request_headers, request_body, seen.status,
                    response_headers, response_body, duration_ms, violations, seen.idempotent_replay, fault,
                    truncated, seen.authenticated, size,
                ))
        log = self.log
        if log is not None:
            log.note((received_at, request_id, world_id, scope["method"], path, operation_id, seen.status,
                      duration_ms))

    def _named_world(self, scope: Scope) -> JournaledWorld | None:
        """The world the request's credentials name (none without credentials, unless `anonymous` and
        the request is not from a page of another origin)."""
        headers = {
            name.decode("latin-1"): value.decode("latin-1") for name, value in reversed(scope["headers"])
        }
        anonymous = self.anonymous and CROSS_SITE not in scope.get("state", {})
        return self.sandbox.world_of(headers, anonymous=anonymous)

    def _journaled_control(self, scope: Scope) -> bool:
        """Whether a control request is journaled: not the journal's own, nor the whole sandbox's."""
        return self.scopes.classify(scope["method"], request_path(scope), scope["query_string"]).journaled


def _held_by(violations: Sequence[Violation] | None, fault: Mapping[str, Any] | None) -> int:
    """Bytes an entry holds in the violations answered and the fault rule that fired."""
    size = 0
    for v in violations or ():
        size += FIELD_OVERHEAD + len(v.msg) + len(v.type) + sum(len(str(part)) for part in v.loc)
    if fault is not None:
        size += _FAULT_BYTES + len(str(fault.get("path") or ""))
    return size
