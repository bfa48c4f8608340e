"""The control API as a dialect of the engine: its spec, who may call what, and its envelope.

Each operation of `openapi.control.json` has one of four scopes, read from its `security`:
- open (`security: []`): the document itself and the console page;
- the whole sandbox (`[{adminToken}, {}]`): creating, listing and deleting workspaces; the admin
  token is needed when the sandbox has one;
- a world (every other one): it acts on the world of the workspace whose credentials the request
  carries (a Truedy Bearer key, or a Zudu key and secret), the default world when it carries none.
  With `--admin-token` set, a workspace's own credentials are enough for its own world; without
  credentials the admin token is needed. Unknown credentials are a 401: a key never reaches
  another workspace's world;
- liveness (a world operation marked `x-liveness: true`: the health check): as a world's, except
  that a request with no credentials at all under `--admin-token` is answered too, with nothing
  of any world in it (`is_anonymous`): what a load balancer asks.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Literal

from mock_server.control import envelopes, files, journal, readiness, world_ops
from mock_server.core.errors import MockError, Unauthorized
from mock_server.engine.context import Handler, Reply, TurnHandler
from mock_server.engine.incoming import query_of
from mock_server.engine.spec import Operation, ResponseSpec, Spec
from mock_server.sandbox import Sandbox
from mock_server.world import WorkspaceWorld

ADMIN_HEADER = "x-mock-admin-token"
Scope = Literal["open", "sandbox", "world", "liveness"]


def scope_of(spec: Spec, operation: Operation) -> Scope:
    """Who may call an operation, from its `security` list in the control spec."""
    raw = spec.document["paths"][operation.path][operation.method.lower()]
    requirements = raw.get("security", spec.document.get("security", []))
    if not requirements:
        return "open"
    names = {name for requirement in requirements for name in requirement}
    if "bearerKey" not in names:
        return "sandbox"
    return "liveness" if raw.get("x-liveness") is True else "world"


class ControlDialect:
    name = "control"
    gateway = False  # no fault rules, rate limit, Prefer or idempotency keys on the control API

    def __init__(self, spec: Spec, sandbox: Sandbox) -> None:
        self.spec = spec
        self.sandbox = sandbox
        self.scopes = {op.operation_id: scope_of(spec, op) for op in spec.operations}
        self.handlers: Mapping[str, Handler | TurnHandler] = {
            **world_ops.handlers(sandbox, self.require_admin, self.is_anonymous),
            **files.handlers(spec.source),
            **journal.handlers(),
            **readiness.handlers(),
        }
        missing = {op.operation_id for op in spec.operations} - set(self.handlers)
        if missing:
            raise ValueError(f"the control spec has operations with no handler: {sorted(missing)}")

    def is_sandbox_wide(self, method: str, path: str, query: bytes) -> bool:
        """Whether a request acts on the sandbox rather than one world: creating, listing or
        deleting workspaces, and a reset of everything (`POST /_mock/reset?scope=all`)."""
        return (path == "/_mock/workspaces" or self.deleted_workspace(method, path) is not None
                or self.is_reset_of_everything(method, path, query))

    def deleted_workspace(self, method: str, path: str) -> str | None:
        """The id of the workspace `DELETE /_mock/workspaces/{workspace_id}` deletes, else None
        (`path` decoded: an id holding `/` is no workspace's)."""
        prefix = "/_mock/workspaces/"
        if method != "DELETE" or not path.startswith(prefix) or "/" in path[len(prefix):]:
            return None
        return path[len(prefix):] or None

    def is_reset_of_everything(self, method: str, path: str, query: bytes) -> bool:
        """`POST /_mock/reset?scope=all`, read as the engine reads a query."""
        return method == "POST" and path == "/_mock/reset" and query_of(query).get("scope") == "all"

    def is_anonymous(self, headers: Mapping[str, str]) -> bool:
        """Under `--admin-token`, a request with no credentials at all (no key, no token)."""
        return bool(self.sandbox.settings.admin_token) and not (
            _carries_credentials(headers) or ADMIN_HEADER in headers
        )

    def is_admin(self, headers: Mapping[str, str]) -> bool:
        token = self.sandbox.settings.admin_token
        given = headers.get(ADMIN_HEADER, "")
        # as bytes: a header with non-ASCII characters is a wrong token, not a crash
        return bool(token) and hmac.compare_digest(given.encode(), (token or "").encode())

    def require_admin(self, headers: Mapping[str, str]) -> None:
        if self.sandbox.settings.admin_token and not self.is_admin(headers):
            raise Unauthorized(
                "this operation acts on the whole sandbox: send the admin token in X-Mock-Admin-Token"
            )

    def authenticate(self, headers: Mapping[str, str], operation: Operation) -> WorkspaceWorld:
        scope = self.scopes[operation.operation_id]
        sandbox = self.sandbox
        if scope == "open":
            return sandbox.default_world
        if scope == "sandbox":
            self.require_admin(headers)
            return sandbox.default_world
        if not _carries_credentials(headers):
            if scope == "liveness" and self.is_anonymous(headers):
                return sandbox.default_world  # its handler shows nothing of it
            if sandbox.settings.admin_token and not self.is_admin(headers):
                raise Unauthorized(
                    "send the workspace's credentials (Authorization: Bearer <key>, or X-API-KEY and "
                    "X-API-SECRET) or the admin token in X-Mock-Admin-Token"
                )
            return sandbox.default_world
        world = sandbox.world_of(headers)
        if world is None:
            raise Unauthorized("the credentials name no workspace of this sandbox")
        return world

    def error_reply(self, error: MockError, request_id: str, now: float) -> Reply:
        return envelopes.error_reply(error, request_id, now)

    def example_reply(self, response: ResponseSpec, request_id: str, now: float) -> Reply:
        return envelopes.example_reply(response, request_id, now)


def _carries_credentials(headers: Mapping[str, str]) -> bool:
    return bool(headers.get("authorization", "").strip() or headers.get("x-api-key", "").strip())
