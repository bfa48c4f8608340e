"""The Zudu dialect: its spec, handlers, key-and-secret auth and envelopes, as the engine wants them."""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from mock_server.core.errors import MockError, Unauthorized
from mock_server.dialects.zudu import batch_calls, envelopes
from mock_server.engine.context import Handler, Reply
from mock_server.engine.spec import ResponseSpec, Spec
from mock_server.services.runtime import Runtime
from mock_server.store.base import Workspace


class ZuduDialect:
    name = "zudu"

    def __init__(self, spec: Spec, runtime: Runtime, mount: str = "") -> None:
        self.spec = spec
        self.runtime = runtime
        self.handlers: Mapping[str, Handler] = batch_calls.handlers(runtime, mount + spec.base_path)
        missing = {op.operation_id for op in spec.operations} - set(self.handlers)
        if missing:
            raise ValueError(f"the spec has operations with no handler: {sorted(missing)}")

    def authenticate(self, headers: Mapping[str, str]) -> Workspace:
        key = headers.get("x-api-key", "").strip()
        secret = headers.get("x-api-secret", "").strip()
        if not key or not secret:
            raise Unauthorized("missing credentials: send both X-API-KEY and X-API-SECRET")
        workspace = self.runtime.store.workspace_by_pair_key(key)
        pair = workspace.key_pair if workspace is not None else None
        if workspace is None or pair is None or not hmac.compare_digest(pair[1].encode(), secret.encode()):
            raise Unauthorized("the X-API-KEY and X-API-SECRET pair is not valid")
        return workspace

    def error_reply(self, error: MockError, request_id: str, now: float) -> Reply:
        return envelopes.error_reply(error, request_id, now)

    def example_reply(self, response: ResponseSpec, request_id: str, now: float) -> Reply:
        return envelopes.example_reply(response, request_id, now)
