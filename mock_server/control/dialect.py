"""The control API as a dialect of the engine: its spec, who may call what, and its envelope.

Each operation of `openapi.control.json` declares its scope (`x-scope`, read once at start-up by
`engine/scopes.py`; its `security` says the same to clients):
- open: the document itself and the console page;
- sandbox: creating, listing and deleting workspaces (and `everything`, a reset of everything):
  the admin token is needed when the sandbox has one;
- world (every other one): it acts on the world of the workspace whose credentials the request
  carries (in the credential scheme of any API the sandbox knows: a Truedy Bearer key, a Zudu key
  and secret), the default world when it carries none. With `--admin-token` set, a workspace's own
  credentials are enough for its own world; without credentials the admin token is needed. Unknown
  credentials are a 401: a key never reaches another workspace's world;
- liveness (the health check): as a world's, except that a request with no credentials at all
  under `--admin-token` is answered too, with nothing of any world in it (`is_anonymous`): what a
  load balancer asks.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import orjson

from contracts.redaction import HTTP_CREDENTIALS
from mock_server.control import (  # noqa: F401 - handlers
    envelopes,
    files,
    journal_ops,
    metrics_ops,
    readiness_ops,
    world_ops,
)
from mock_server.control.admin_token import ADMIN_HEADER
from mock_server.control.operations import HANDLERS
from mock_server.core.errors import MockError, Unauthorized
from mock_server.engine.context import Handler, Reply, TurnHandler
from mock_server.engine.credentials import CredentialScheme, hidden_headers
from mock_server.engine.scopes import ScopeTable
from mock_server.engine.spec import Operation, ResponseSpec, Spec
from mock_server.sandbox import Sandbox
from mock_server.web.console import console_page
from mock_server.world import WorkspaceWorld


class ControlDialect:
    name = "control"
    gateway = False  # no fault rules, rate limit, Prefer or idempotency keys on the control API

    def __init__(self, spec: Spec, sandbox: Sandbox, scopes: ScopeTable,
                 metrics: Callable[[], bytes] = lambda: b"") -> None:
        """`scopes`: the scopes of `spec`'s operations (`ScopeTable(spec)`, shared with whoever
        keeps records of requests: the journal's recorder, a shared store); `metrics`: the text
        `GET /_mock/metrics` answers (`observe/metrics_export.py`)."""
        self.spec = spec
        self.sandbox = sandbox
        self.scopes = scopes
        self.metrics = metrics
        # what the request journal's readers redact: every credential header of every API
        self.hidden_headers = journal_hidden_headers(sandbox.schemes)
        self.console_page = console_page()
        # the long reads among them work in turns (`TurnHandler`)
        self.handlers: Mapping[str, Handler | TurnHandler] = HANDLERS.for_spec(spec)

    @functools.cached_property
    def api_document(self) -> Mapping[str, Any]:
        """The public API's contract as written (`--spec`): what a readiness report's coverage
        counts a partner's client against."""
        parsed: Mapping[str, Any] = orjson.loads(self.sandbox.settings.spec_path.read_bytes())
        return parsed

    def is_anonymous(self, headers: Mapping[str, str]) -> bool:
        """Under `--admin-token`, a request with no credentials at all (no key, no token)."""
        return bool(self.sandbox.settings.admin_token) and not (
            self.sandbox.carries_credentials(headers) or ADMIN_HEADER in headers
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
        scope = self.scopes.of(operation.operation_id)
        sandbox = self.sandbox
        if scope == "open":
            return sandbox.default_world
        if scope in ("sandbox", "everything"):
            self.require_admin(headers)
            return sandbox.default_world
        if not sandbox.carries_credentials(headers):
            if scope == "liveness" and self.is_anonymous(headers):
                return sandbox.default_world  # its handler shows nothing of it
            if sandbox.settings.admin_token and not self.is_admin(headers):
                hints = ", or ".join(scheme.hint for scheme in sandbox.schemes)
                raise Unauthorized(
                    f"send the workspace's credentials ({hints}) or the admin token in X-Mock-Admin-Token"
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


def journal_hidden_headers(schemes: Iterable[CredentialScheme]) -> frozenset[str]:
    """The headers no reader of the request journal sees in clear: HTTP's own credentials, the
    secret ones of every scheme, the admin token."""
    return hidden_headers(schemes, ADMIN_HEADER, *HTTP_CREDENTIALS)
