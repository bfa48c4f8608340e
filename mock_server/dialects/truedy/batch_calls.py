"""Handlers of the Batch Calls operations: parse the wire, call the use case, render the answer."""

from __future__ import annotations

from typing import Any

from mock_server.core import analytics
from mock_server.core.contact_rows import RowCheck, rows_from_csv, rows_from_json
from mock_server.core.models import Batch
from mock_server.core.timefmt import parse_timestamp
from mock_server.dialects.encoded import EncodedCache
from mock_server.dialects.truedy import wire
from mock_server.dialects.truedy.envelopes import page, single
from mock_server.engine.context import Handler, Reply, RequestContext
from mock_server.services.batch_calls import BatchCalls
from mock_server.services.world import World

Context = RequestContext[World]


def handlers(base_path: str, read: EncodedCache[Batch], csv_row: RowCheck) -> dict[str, Handler]:
    def service(ctx: Context) -> BatchCalls:
        return BatchCalls(ctx.world)

    def answer(ctx: Context, data: Any, status: int = 200, **headers: str) -> Reply:
        return single(data, ctx.request_id, ctx.world.now(), status, headers or None)

    def batch_id(ctx: Context) -> str:
        return str(ctx.params["batch_call_id"])

    def settled(reply: Reply) -> Reply:
        """A read made of the cache's encoded JSON and values made for it: nothing in it changes."""
        reply.settled = read.enabled
        return reply

    def list_batch_calls(ctx: Context) -> Reply:
        found = service(ctx).find(ctx.params.get("agent_id"), ctx.params.get("status"))
        return settled(page(found, read.renderer(ctx.world), ctx.params, ctx.request_id, ctx.world.now()))

    def create_batch_call(ctx: Context) -> Reply:
        body = ctx.body
        settings = wire.settings_from_create(body)
        inline = rows_from_json(body.get("contacts") or [])
        batch = service(ctx).create(settings, body.get("contact_ids") or [], inline)
        location = f"{base_path}/batch-calls/{batch.id}"
        return answer(ctx, wire.batch(batch), 201, Location=location)

    def get_batch_call(ctx: Context) -> Reply:
        return settled(answer(ctx, read.renderer(ctx.world)(service(ctx).get(batch_id(ctx)))))

    def update_batch_call(ctx: Context) -> Reply:
        changes = wire.setting_changes(ctx.body or {})
        changes.pop("agent_id", None)
        changes.pop("contact_source", None)
        changes.pop("contact_folder_id", None)
        return answer(ctx, wire.batch(service(ctx).update(batch_id(ctx), changes)))

    def delete_batch_call(ctx: Context) -> Reply:
        service(ctx).delete(batch_id(ctx))
        return Reply(204)

    def bulk_delete_batch_calls(ctx: Context) -> Reply:
        result = service(ctx).bulk_delete(ctx.body["ids"])
        return answer(
            ctx,
            {
                "deleted_count": len(result.deleted_ids),
                "failed_count": len(result.failed_ids),
                "deleted_ids": result.deleted_ids,
                "failed_ids": result.failed_ids,
            },
        )

    def schedule_batch_call(ctx: Context) -> Reply:
        body = ctx.body or {}
        raw_at = body.get("scheduled_at")
        at = parse_timestamp(raw_at, ("body", "scheduled_at")) if raw_at else None
        batch = service(ctx).schedule(batch_id(ctx), at, body.get("timezone"))
        return answer(ctx, wire.batch(batch))

    def pause_batch_call(ctx: Context) -> Reply:
        return answer(ctx, wire.batch(service(ctx).pause(batch_id(ctx))))

    def resume_batch_call(ctx: Context) -> Reply:
        return answer(ctx, wire.batch(service(ctx).resume(batch_id(ctx))))

    def upload_batch_call_contacts(ctx: Context) -> Reply:
        if ctx.media_type == "text/csv":
            rows = rows_from_csv(ctx.body or "", csv_row)
        else:
            rows = rows_from_json(ctx.body["contacts"])
        batch, result = service(ctx).upload_contacts(batch_id(ctx), rows)
        return answer(
            ctx,
            {
                "batch_call_id": batch.id,
                "added": result.added,
                "duplicates": result.duplicates,
                "total_contacts": batch.total_contacts,
            },
        )

    def list_batch_call_contacts(ctx: Context) -> Reply:
        batch = service(ctx).get(batch_id(ctx))
        status = ctx.params.get("status")
        found = [c for c in batch.contacts if status is None or c.call_status == status]
        return page(found, wire.batch_contact, ctx.params, ctx.request_id, ctx.world.now())

    def get_batch_call_analytics(ctx: Context) -> Reply:
        return answer(ctx, analytics.batch_analytics(service(ctx).get(batch_id(ctx))))

    return {
        "list_batch_calls": list_batch_calls,
        "create_batch_call": create_batch_call,
        "get_batch_call": get_batch_call,
        "update_batch_call": update_batch_call,
        "delete_batch_call": delete_batch_call,
        "bulk_delete_batch_calls": bulk_delete_batch_calls,
        "schedule_batch_call": schedule_batch_call,
        "pause_batch_call": pause_batch_call,
        "resume_batch_call": resume_batch_call,
        "upload_batch_call_contacts": upload_batch_call_contacts,
        "list_batch_call_contacts": list_batch_call_contacts,
        "get_batch_call_analytics": get_batch_call_analytics,
    }
