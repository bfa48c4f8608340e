"""Handlers of the request journal: list the world's requests (as JSON or HAR), count them, clear
them; and, for the admin, any workspace's requests.

The journal itself is `observe/request_journal.py` (recorded by `observe/recorder.py`); these only read
the filters and render (HAR: `journal_har.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from mock_server.control.journal_har import har_page
from mock_server.control.operations import operation
from mock_server.core.errors import NotFound
from mock_server.core.timefmt import parse_timestamp
from mock_server.engine.context import Reply, RequestContext
from mock_server.observe.request_journal import Filters, entry_json
from mock_server.world import WorkspaceWorld

if TYPE_CHECKING:
    from mock_server.control.dialect import ControlDialect

Context: TypeAlias = RequestContext[WorkspaceWorld, "ControlDialect"]


def filters_of(params: dict[str, Any]) -> Filters:
    """The filters of a request's query (typed and checked against the spec by the engine)."""
    since = params.get("since")
    return Filters(
        method=params.get("method"),
        path=params.get("path"),
        operation_id=params.get("operation_id"),
        status=params.get("status"),
        request_id=params.get("request_id"),
        since=parse_timestamp(since, ("query", "since")) if since is not None else None,
    )


def _page(ctx: Context, world: WorkspaceWorld) -> Reply:
    """One page of the world's journal, as JSON or (`format=har`) as HAR 1.2."""
    journal = world.journal
    entries, total = journal.page(filters_of(ctx.params), ctx.params["limit"], ctx.params["offset"])
    data = [entry_json(entry, ctx.dialect.hidden_headers) for entry in entries]
    if ctx.params.get("format") == "har":  # URLs at the sandbox as this reader reached it
        return Reply(200, har_page(data, f"http://{ctx.headers.get('host', 'localhost')}", total,
                                   journal.dropped))
    return Reply(200, {"data": data, "total": total, "dropped": journal.dropped})


@operation("list_requests")
def list_requests(ctx: Context) -> Reply:
    return _page(ctx, ctx.world)


@operation("list_workspace_requests")
def list_workspace_requests(ctx: Context) -> Reply:
    workspace_id = str(ctx.params["workspace_id"])
    world = ctx.dialect.sandbox.worlds.get(workspace_id)
    if world is None:
        raise NotFound("workspace", workspace_id)
    return _page(ctx, world)


@operation("count_requests")
def count_requests(ctx: Context) -> Reply:
    return Reply(200, {"count": ctx.world.journal.count(filters_of(ctx.params))})


@operation("clear_requests")
def clear_requests(ctx: Context) -> Reply:
    ctx.world.journal.clear()
    return Reply(204)
