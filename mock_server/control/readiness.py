"""Handlers of the client readiness session (issue 14): arm it, read its report."""

from __future__ import annotations

from mock_server.core.errors import NotFound
from mock_server.engine.context import Handler, Reply, RequestContext
from mock_server.world import WorkspaceWorld

Context = RequestContext[WorkspaceWorld]


def handlers() -> dict[str, Handler]:
    def start_readiness(ctx: Context) -> Reply:
        raise NotFound("readiness", ctx.world.id)

    def get_readiness_report(ctx: Context) -> Reply:
        raise NotFound("readiness", ctx.world.id)

    return {"start_readiness": start_readiness, "get_readiness_report": get_readiness_report}
