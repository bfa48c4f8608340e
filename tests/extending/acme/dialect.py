"""The Acme dialect: its credential scheme, its envelope, and the value the app factory takes.

Built only from the sandbox's public extension points: `engine.credentials` (a scheme),
`engine.handlers` (a handler table), `engine.context` (what a dialect is), `core.errors` (statuses
ride on the errors), `services` (the use cases) and `dialects.registry.DialectKind`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path

from extending.acme.handlers import HANDLERS  # importing it registers Acme's handlers

from mock_server.core.errors import MockError, RequestInvalid
from mock_server.dialects.registry import DialectKind
from mock_server.engine.context import Handler, Reply
from mock_server.engine.credentials import KeyHeader, api_key, authenticate
from mock_server.engine.spec import Operation, ResponseSpec, Spec
from mock_server.settings import Settings
from mock_server.world import WorkspaceWorld, WorldDirectory

SPEC = Path(__file__).resolve().parent / "openapi.acme.json"


# the workspace's key, in a header of Acme's own
ACME_TOKEN = KeyHeader(
    name="acme",
    hint="X-Acme-Token: <key>",
    header="x-acme-token",
    key_field=api_key,
    missing="send the workspace's key in X-Acme-Token",
    invalid="X-Acme-Token names no workspace",
)


def error_reply(error: MockError, request_id: str, now: float) -> Reply:
    """Acme's error body; the status and headers are the error's."""
    body: dict[str, object] = {"code": error.code, "message": error.message}
    if isinstance(error, RequestInvalid):
        body["violations"] = [{"loc": list(v.loc), "msg": v.msg} for v in error.shown()]
    return Reply(error.http_status, {"error": body}, error.headers())


class AcmeDialect:
    name = "acme"
    gateway = True

    def __init__(self, spec: Spec, worlds: WorldDirectory) -> None:
        self.spec = spec
        self.worlds = worlds
        self.handlers: Mapping[str, Handler] = HANDLERS.for_spec(spec)

    def authenticate(self, headers: Mapping[str, str], operation: Operation | None = None) -> WorkspaceWorld:
        return authenticate(ACME_TOKEN, self.worlds, headers)

    def error_reply(self, error: MockError, request_id: str, now: float) -> Reply:
        return error_reply(error, request_id, now)

    def example_reply(self, response: ResponseSpec, request_id: str, now: float) -> Reply:
        status = int(response.status) if response.status.isdigit() else 500
        return Reply(status, copy.deepcopy(response.first_example()))


def _spec_path(settings: Settings) -> Path:
    return SPEC


ACME = DialectKind("acme", "Acme API", "/openapi.acme.json", _spec_path, ACME_TOKEN, AcmeDialect)
