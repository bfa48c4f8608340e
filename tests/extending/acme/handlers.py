"""Acme's handlers, registered for their operationIds on Acme's own table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from extending.acme.rules import require_unique_name

from mock_server.core.batch_rules import STANDARD
from mock_server.core.contact_rows import ContactRow
from mock_server.core.models import Batch, BatchSettings
from mock_server.core.timefmt import timestamp
from mock_server.engine.context import Reply, RequestContext
from mock_server.engine.handlers import HandlerTable
from mock_server.services.task_batches import TaskBatches
from mock_server.services.world import World

if TYPE_CHECKING:
    from extending.acme.dialect import AcmeDialect

HANDLERS = HandlerTable("acme")
Context: TypeAlias = RequestContext[World, "AcmeDialect"]


def _lists(ctx: Context) -> TaskBatches:
    """Acme's call lists are batches of its own namespace: no other API sees them."""
    return TaskBatches(ctx.world, lifecycle=STANDARD, namespace="acme", id_prefix="cl", task_prefix="num")


def _json(batch: Batch) -> dict[str, Any]:
    return {
        "id": batch.id,
        "name": batch.settings.name,
        "from_number": batch.settings.caller_number,
        "numbers": len(batch.contacts),
        "status": batch.status,
        "created_at": timestamp(batch.created_at),
    }


@HANDLERS.operation("create_call_list")
def create_call_list(ctx: Context) -> Reply:
    body = ctx.body
    lists = _lists(ctx)
    require_unique_name(body["name"], (b.settings.name for b in lists.search(None, None, None)))
    settings = BatchSettings(name=body["name"], agent_id="", caller_number=body["from_number"])
    rows = [ContactRow(number, None, None) for number in body["numbers"]]
    return Reply(201, _json(lists.create(settings, rows, {})))


@HANDLERS.operation("get_call_list")
def get_call_list(ctx: Context) -> Reply:
    return Reply(200, _json(_lists(ctx).get(str(ctx.params["call_list_id"]))))
