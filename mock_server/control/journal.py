"""Handlers of the request journal: list the world's requests, count them, clear them.

The journal itself is `observe/journal.py` (recorded by `observe/recorder.py`); these only read
the filters and render.
"""

from __future__ import annotations

from typing import Any

import orjson

from mock_server.core.timefmt import parse_timestamp
from mock_server.engine.context import Handler, Reply, RequestContext, TurnHandler
from mock_server.engine.turns import map_in_turns
from mock_server.observe.journal import Exchange, Filters, entry_json
from mock_server.world import WorkspaceWorld

Context = RequestContext[WorkspaceWorld]


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


def encoded_entry(entry: Exchange) -> orjson.Fragment:
    """An entry as the page carries it, encoded at once: a page of 1,000 entries can hold 64 MiB,
    and each entry is then one turn's work, not a share of one long encoding at the end."""
    return orjson.Fragment(orjson.dumps(entry_json(entry)))


def handlers() -> dict[str, Handler | TurnHandler]:
    async def list_requests(ctx: Context) -> Reply:
        journal = ctx.world.journal
        entries, total = journal.page(filters_of(ctx.params), ctx.params["limit"], ctx.params["offset"])
        data = await map_in_turns(entries, encoded_entry)
        return Reply(200, {"data": data, "total": total, "dropped": journal.dropped})

    def count_requests(ctx: Context) -> Reply:
        return Reply(200, {"count": ctx.world.journal.count(filters_of(ctx.params))})

    def clear_requests(ctx: Context) -> Reply:
        ctx.world.journal.clear()
        return Reply(204)

    return {
        "list_requests": list_requests,
        "count_requests": count_requests,
        "clear_requests": clear_requests,
    }
