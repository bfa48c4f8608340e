"""Handlers of the Batch Calls operations: parse the wire, call the use case, render the answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from mock_server.core import analytics
from mock_server.core.contact_rows import rows_from_csv, rows_from_json
from mock_server.core.timefmt import parse_timestamp
from mock_server.dialects.truedy import wire
from mock_server.dialects.truedy.envelopes import answer, page, paged
from mock_server.dialects.truedy.operations import operation
from mock_server.engine.context import Reply, RequestContext
from mock_server.services.batch_calls import BatchCalls
from mock_server.services.world import World

if TYPE_CHECKING:
    from mock_server.dialects.truedy.dialect import TruedyDialect

Context: TypeAlias = RequestContext[World, "TruedyDialect"]


def _service(ctx: Context) -> BatchCalls:
    return BatchCalls(ctx.world)


def _batch_id(ctx: Context) -> str:
    return str(ctx.params["batch_call_id"])


def _settled(ctx: Context, reply: Reply) -> Reply:
    """A read made of the cache's encoded JSON and values made for it: nothing in it changes."""
    reply.settled = ctx.dialect.read_json.enabled
    return reply


@operation("list_batch_calls")
def list_batch_calls(ctx: Context) -> Reply:
    agent_id, status = ctx.params.get("agent_id"), ctx.params.get("status")
    data, count, total = ctx.dialect.read_json.page(
        ctx.world, (agent_id, status), lambda: _service(ctx).find(agent_id, status),
        ctx.params["offset"], ctx.params["limit"],
    )
    return _settled(ctx, paged(data, count, total, ctx.params, ctx.request_id, ctx.world.now()))


@operation("create_batch_call")
def create_batch_call(ctx: Context) -> Reply:
    body = ctx.body
    settings = wire.settings_from_create(body)
    inline = rows_from_json(body.get("contacts") or [])
    batch = _service(ctx).create(settings, body.get("contact_ids") or [], inline)
    location = f"{ctx.dialect.base_url}/batch-calls/{batch.id}"
    return answer(ctx, wire.batch(batch), 201, Location=location)


@operation("get_batch_call")
def get_batch_call(ctx: Context) -> Reply:
    render = ctx.dialect.read_json.renderer(ctx.world)
    return _settled(ctx, answer(ctx, render(_service(ctx).get(_batch_id(ctx)))))


@operation("update_batch_call")
def update_batch_call(ctx: Context) -> Reply:
    changes = wire.setting_changes(ctx.body or {})
    changes.pop("agent_id", None)
    changes.pop("contact_source", None)
    changes.pop("contact_folder_id", None)
    return answer(ctx, wire.batch(_service(ctx).update(_batch_id(ctx), changes)))


@operation("delete_batch_call")
def delete_batch_call(ctx: Context) -> Reply:
    _service(ctx).delete(_batch_id(ctx))
    return Reply(204)


@operation("bulk_delete_batch_calls")
def bulk_delete_batch_calls(ctx: Context) -> Reply:
    result = _service(ctx).bulk_delete(ctx.body["ids"])
    return answer(
        ctx,
        {
            "deleted_count": len(result.deleted_ids),
            "failed_count": len(result.failed_ids),
            "deleted_ids": result.deleted_ids,
            "failed_ids": result.failed_ids,
        },
    )


@operation("schedule_batch_call")
def schedule_batch_call(ctx: Context) -> Reply:
    body = ctx.body or {}
    raw_at = body.get("scheduled_at")
    at = parse_timestamp(raw_at, ("body", "scheduled_at")) if raw_at else None
    batch = _service(ctx).schedule(_batch_id(ctx), at, body.get("timezone"))
    return answer(ctx, wire.batch(batch))


@operation("pause_batch_call")
def pause_batch_call(ctx: Context) -> Reply:
    return answer(ctx, wire.batch(_service(ctx).pause(_batch_id(ctx))))


@operation("resume_batch_call")
def resume_batch_call(ctx: Context) -> Reply:
    return answer(ctx, wire.batch(_service(ctx).resume(_batch_id(ctx))))


@operation("upload_batch_call_contacts")
def upload_batch_call_contacts(ctx: Context) -> Reply:
    if ctx.media_type == "text/csv":
        rows = rows_from_csv(ctx.body or "", ctx.dialect.csv_row)
    else:
        rows = rows_from_json(ctx.body["contacts"])
    batch, result = _service(ctx).upload_contacts(_batch_id(ctx), rows)
    return answer(
        ctx,
        {
            "batch_call_id": batch.id,
            "added": result.added,
            "duplicates": result.duplicates,
            "total_contacts": batch.total_contacts,
        },
    )


@operation("list_batch_call_contacts")
def list_batch_call_contacts(ctx: Context) -> Reply:
    batch = _service(ctx).get(_batch_id(ctx))
    status = ctx.params.get("status")
    found = [c for c in batch.contacts if status is None or c.call_status == status]
    return page(found, wire.batch_contact, ctx.params, ctx.request_id, ctx.world.now())


@operation("get_batch_call_analytics")
def get_batch_call_analytics(ctx: Context) -> Reply:
    return answer(ctx, analytics.batch_analytics(_service(ctx).get(_batch_id(ctx))))
