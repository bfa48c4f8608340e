"""Handlers of the request journal: list the world's requests (as JSON or HAR), count them, clear
them; and, for the admin, any workspace's requests.

The journal itself is `observe/request_journal.py` (recorded by `observe/recorder.py`); these only read
the filters and render (HAR: `journal_har.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

import orjson

from mock_server.control.journal_har import har_page, har_page_entry
from mock_server.control.operations import operation
from mock_server.core.errors import NotFound
from mock_server.core.timefmt import parse_timestamp
from mock_server.engine.context import Reply, RequestContext
from mock_server.engine.turns import in_turns, map_in_turns
from mock_server.observe.request_journal import Exchange, Filters, entry_json
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


async def _page(ctx: Context, world: WorkspaceWorld) -> Reply:
    """One page of the world's journal, as JSON or (`format=har`) as HAR 1.2. In turns: the scan of
    a full journal, then a page of 1,000 entries of 64 KiB bodies, held every tenant for 0.04 s and
    0.1 s at once."""
    journal, offset = world.journal, ctx.params["offset"]
    matching = [entry async for entry in in_turns(journal.select(filters_of(ctx.params)))]  # newest first
    entries, total = matching[offset : offset + ctx.params["limit"]], len(matching)
    hidden = ctx.dialect.hidden_headers
    if ctx.params.get("format") == "har":  # URLs at the sandbox as this reader reached it
        origin = f"http://{ctx.headers.get('host', 'localhost')}"
        shown = await map_in_turns(entries, lambda entry: har_page_entry(entry_json(entry, hidden), origin))
        return Reply(200, har_page(shown, total, journal.dropped))

    def encoded(entry: Exchange) -> orjson.Fragment:  # encoded here, a turn's work, not all at the end
        return orjson.Fragment(orjson.dumps(entry_json(entry, hidden)))

    data = await map_in_turns(entries, encoded)
    return Reply(200, {"data": data, "total": total, "dropped": journal.dropped})


@operation("list_requests")
async def list_requests(ctx: Context) -> Reply:
    return await _page(ctx, ctx.world)


@operation("list_workspace_requests")
async def list_workspace_requests(ctx: Context) -> Reply:
    workspace_id = str(ctx.params["workspace_id"])
    world = ctx.dialect.sandbox.worlds.get(workspace_id)
    if world is None:
        raise NotFound("workspace", workspace_id)
    return await _page(ctx, world)


@operation("count_requests")
async def count_requests(ctx: Context) -> Reply:  # the scan of a full journal: in turns
    count = 0
    async for _ in in_turns(ctx.world.journal.select(filters_of(ctx.params))):
        count += 1
    return Reply(200, {"count": count})


@operation("clear_requests")
def clear_requests(ctx: Context) -> Reply:
    ctx.world.journal.clear()
    return Reply(204)
