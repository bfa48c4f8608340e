"""The Truedy dialect: its spec, handlers, Bearer auth and envelopes, as the engine wants them."""

from __future__ import annotations

from collections.abc import Mapping

from mock_server.core.errors import MockError
from mock_server.core.models import Batch
from mock_server.dialects.encoded import EncodedCache
from mock_server.dialects.truedy import batch_calls, directory, envelopes, wire  # noqa: F401 - their handlers
from mock_server.dialects.truedy.credentials import BEARER_KEY
from mock_server.dialects.truedy.operations import HANDLERS
from mock_server.engine.context import Handler, Reply
from mock_server.engine.credentials import authenticate
from mock_server.engine.spec import Operation, ResponseSpec, Spec
from mock_server.engine.validation import instance_check
from mock_server.world import WorkspaceWorld, WorldDirectory


def batch_key(batch: Batch) -> tuple[str, str]:
    return batch.workspace_id, batch.id


class TruedyDialect:
    name = "truedy"

    gateway = True

    def __init__(self, spec: Spec, worlds: WorldDirectory, mount: str = "") -> None:
        self.spec = spec
        self.worlds = worlds
        self.base_url = mount + spec.base_path  # of the Location of what is created
        # the JSON of batch calls as read (alone or listed), kept between changes of state
        self.read_json = EncodedCache(wire.batch, batch_key)
        # a CSV row is a contact: it meets the rules of the JSON one (`InlineContact`)
        self.csv_row = instance_check(spec.document["components"]["schemas"]["InlineContact"])
        self.handlers: Mapping[str, Handler] = HANDLERS.for_spec(spec)

    def authenticate(self, headers: Mapping[str, str], operation: Operation | None = None) -> WorkspaceWorld:
        return authenticate(BEARER_KEY, self.worlds, headers)

    def error_reply(self, error: MockError, request_id: str, now: float) -> Reply:
        return envelopes.error_reply(error, request_id, now)

    def example_reply(self, response: ResponseSpec, request_id: str, now: float) -> Reply:
        return envelopes.example_reply(response, request_id, now)
