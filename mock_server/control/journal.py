"""Handlers of the request journal (issue 13): list, count, clear."""

from __future__ import annotations

from mock_server.core.errors import NotFound
from mock_server.engine.context import Handler, Reply, RequestContext
from mock_server.world import WorkspaceWorld

Context = RequestContext[WorkspaceWorld]


def handlers() -> dict[str, Handler]:
    def list_requests(ctx: Context) -> Reply:
        raise NotFound("journal", ctx.world.id)

    def count_requests(ctx: Context) -> Reply:
        raise NotFound("journal", ctx.world.id)

    def clear_requests(ctx: Context) -> Reply:
        raise NotFound("journal", ctx.world.id)

    return {
        "list_requests": list_requests,
        "count_requests": count_requests,
        "clear_requests": clear_requests,
    }
