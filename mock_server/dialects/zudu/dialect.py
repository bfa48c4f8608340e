"""The Zudu dialect: its spec, handlers, key-and-secret auth and envelopes, as the engine wants them."""

from __future__ import annotations

from collections.abc import Mapping

from mock_server.core.errors import MockError
from mock_server.dialects.zudu import batch_calls, envelopes  # noqa: F401 - batch_calls: its handlers
from mock_server.dialects.zudu.credentials import KEY_AND_SECRET
from mock_server.dialects.zudu.operations import HANDLERS
from mock_server.engine.context import Handler, Reply
from mock_server.engine.credentials import authenticate
from mock_server.engine.spec import Operation, ResponseSpec, Spec
from mock_server.world import WorkspaceWorld, WorldDirectory


class ZuduDialect:
    name = "zudu"

    gateway = True

    def __init__(self, spec: Spec, worlds: WorldDirectory, mount: str = "") -> None:
        self.spec = spec
        self.worlds = worlds
        self.base_url = mount + spec.base_path  # of the links in its answers
        self.handlers: Mapping[str, Handler] = HANDLERS.for_spec(spec)

    def authenticate(self, headers: Mapping[str, str], operation: Operation | None = None) -> WorkspaceWorld:
        return authenticate(KEY_AND_SECRET, self.worlds, headers)

    def error_reply(self, error: MockError, request_id: str, now: float) -> Reply:
        return envelopes.error_reply(error, request_id, now)

    def example_reply(self, response: ResponseSpec, request_id: str, now: float) -> Reply:
        return envelopes.example_reply(response, request_id, now)
