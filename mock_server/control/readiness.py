"""Handlers of the client readiness session (issue 14): arm it, read its report."""

from __future__ import annotations

from mock_server import readiness
from mock_server.core.errors import Conflict, NotFound
from mock_server.engine.context import Handler, Reply, RequestContext, TurnHandler
from mock_server.engine.turns import run_in_turns
from mock_server.world import WorkspaceWorld

Context = RequestContext[WorkspaceWorld]


def _not_started(world: WorkspaceWorld) -> NotFound:
    error = NotFound("readiness", world.id)
    error.code = "readiness_not_started"
    error.message = "arm a session first: POST /_mock/readiness/start"
    error.details = None
    return error


def handlers() -> dict[str, Handler | TurnHandler]:
    def start_readiness(ctx: Context) -> Reply:
        if not ctx.world.journal.size:  # a session grades what the journal records
            raise Conflict("journal_disabled", "a readiness session grades the requests the request journal "
                           "records, and this sandbox keeps none (--journal-size 0): start it with a journal")
        return Reply(201, ctx.world.start_readiness().as_json())

    async def get_readiness_report(ctx: Context) -> Reply:
        world = ctx.world
        if world.readiness is None:
            raise _not_started(world)
        receiver_set = world.workspace.webhook_url is not None
        steps = world.readiness.report_steps(world.outbox.deliveries(world.id), receiver_set)
        report = await run_in_turns(steps)
        fmt = ctx.params.get("format", "json")
        if fmt == "md":
            page = readiness.markdown(report).encode()
            return Reply(200, None, {"content-type": "text/markdown; charset=utf-8"}, encoded=page)
        if fmt == "html":
            page = readiness.html(report).encode()
            return Reply(200, None, {"content-type": "text/html; charset=utf-8"}, encoded=page)
        return Reply(200, report.as_json())

    return {"start_readiness": start_readiness, "get_readiness_report": get_readiness_report}
