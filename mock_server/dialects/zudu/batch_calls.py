"""Handlers of Zudu's batch-call operations: parse the wire, call the use case, render the answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from mock_server.core.models import Batch
from mock_server.dialects.zudu import rules, wire
from mock_server.dialects.zudu.envelopes import pagination, success, window
from mock_server.dialects.zudu.operations import operation
from mock_server.engine.context import Reply, RequestContext
from mock_server.services.task_batches import TaskBatches
from mock_server.services.world import World

if TYPE_CHECKING:
    from mock_server.dialects.zudu.dialect import ZuduDialect

DEFAULT_PAGE_SIZE = 20  # Zudu's list pages: "default: 20"
FILTERS = ("status", "agent_id", "name")

Context: TypeAlias = RequestContext[World, "ZuduDialect"]


def _service(ctx: Context) -> TaskBatches:
    return TaskBatches(
        ctx.world,
        lifecycle=rules.LIFECYCLE,
        namespace=rules.NAMESPACE,
        id_prefix="batch_call",
        task_prefix="task",
    )


def _batch_id(ctx: Context) -> str:
    return str(ctx.params["batch_call_id"])


def _listing(
    ctx: Context, found: list[Batch], page: int, limit: int, sort_by: str, sort_order: str
) -> dict[str, Any]:
    ordered = wire.sorted_batches(found, sort_by, sort_order)
    shown = [wire.batch(b, ctx.dialect.base_url) for b in window(ordered, page, limit)]
    return {
        "batch_calls": shown,
        "pagination": pagination(page, limit, len(ordered)),
        "returned_count": len(shown),
    }


@operation("create_batch_call")
def create_batch_call(ctx: Context) -> Reply:
    settings, tasks, target = wire.create_request(ctx.body, ctx.now)
    attributes = wire.attributes(ctx.body, ctx.workspace.id, ctx.request_id)
    batch = _service(ctx).create(settings, tasks, attributes, target)
    return success("Batch call created successfully", wire.batch(batch, ctx.dialect.base_url), 201)


@operation("get_batch_call")
def get_batch_call(ctx: Context) -> Reply:
    batch = _service(ctx).get(_batch_id(ctx))
    return success("Batch call retrieved successfully", wire.batch(batch, ctx.dialect.base_url))


@operation("list_batch_calls")
def list_batch_calls(ctx: Context) -> Reply:
    p = ctx.params
    found = _service(ctx).search(None, None, None)
    data = _listing(ctx, found, p["page"], p["limit"], p["sort_by"], p["sort_order"])
    return success("Batch calls retrieved successfully", data)


@operation("search_batch_calls")
def search_batch_calls(ctx: Context) -> Reply:
    body = ctx.body or {}
    criteria = body.get("filter_criteria") or {}
    statuses = criteria.get("status")
    core = {c for s in statuses for c in rules.CORE_STATUSES[s]} if statuses is not None else None
    found = _service(ctx).search(core, criteria.get("agent_id"), criteria.get("name"))
    paging = body.get("pagination") or {}
    data = _listing(
        ctx,
        found,
        int(paging.get("page", 0)),  # JSON Schema's integers include 2.0: slices need int
        int(paging.get("limit", DEFAULT_PAGE_SIZE)),
        body.get("sort_by", "updated_at"),
        body.get("sort_order", "descending"),
    )
    data["applied_filters"] = {
        name: f"{len(criteria[name])} values" for name in FILTERS if criteria.get(name) is not None
    }
    return success("Batch calls retrieved successfully with filters", data)


@operation("update_batch_call")
def update_batch_call(ctx: Context) -> Reply:
    changes, target = wire.update_request(ctx.body or {}, ctx.now)
    batch = _service(ctx).update(_batch_id(ctx), changes, target)
    return success("Batch call updated successfully", wire.batch(batch, ctx.dialect.base_url))


@operation("delete_batch_call")
def delete_batch_call(ctx: Context) -> Reply:
    _service(ctx).delete(_batch_id(ctx))
    return success("Batch call deleted successfully", None)


@operation("execute_batch_call")
def execute_batch_call(ctx: Context) -> Reply:
    batch = _service(ctx).execute(_batch_id(ctx))
    data = {**wire.batch(batch, ctx.dialect.base_url), "execution_started_timestamp": wire.ms(ctx.now)}
    return success("Batch call execution started", data)


@operation("list_batch_call_tasks")
def list_batch_call_tasks(ctx: Context) -> Reply:
    batch = _service(ctx).get(_batch_id(ctx))
    page, limit = ctx.params["page"], ctx.params["limit"]
    data = {
        "batch_call_id": batch.id,
        "tasks": [wire.task(c, batch.created_at) for c in window(batch.contacts, page, limit)],
        "pagination": pagination(page, limit, len(batch.contacts)),
    }
    return success("Batch call tasks retrieved successfully", data)
