"""A handler table: module-level functions registered for their operationId; a dialect refuses to
start while an operation of its spec has no handler."""

from __future__ import annotations

import pytest

from mock_server.dialects.truedy.operations import HANDLERS as TRUEDY
from mock_server.engine.context import Reply, RequestContext
from mock_server.engine.handlers import HandlerTable
from mock_server.engine.spec import load_spec
from mock_server.settings import default_spec_path


def test_every_truedy_operation_has_its_module_level_handler() -> None:
    spec = load_spec(default_spec_path())
    handlers = TRUEDY.for_spec(spec)
    assert set(handlers) == {op.operation_id for op in spec.operations}
    assert all(handler.__name__ == operation_id for operation_id, handler in handlers.items())


def test_an_operation_without_a_handler_stops_the_start_and_two_handlers_are_refused() -> None:
    table = HandlerTable("partial")

    @table.operation("list_batch_calls")
    def list_batch_calls(ctx: RequestContext[object, object]) -> Reply:
        return Reply(200)

    with pytest.raises(ValueError, match="no handler: .*create_batch_call"):
        table.for_spec(load_spec(default_spec_path()))
    with pytest.raises(ValueError, match="two handlers for list_batch_calls"):
        table.operation("list_batch_calls")(list_batch_calls)
