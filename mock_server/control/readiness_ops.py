"""Handlers of the client readiness session (issue 14): arm it, read its report."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from contracts.coverage import CoverageRecorder
from mock_server import readiness
from mock_server.control.operations import operation
from mock_server.core.errors import Conflict, MockError, NotFound
from mock_server.engine.context import Reply, RequestContext
from mock_server.engine.turns import run_in_turns
from mock_server.world import WorkspaceWorld

if TYPE_CHECKING:
    from mock_server.control.dialect import ControlDialect

Context: TypeAlias = RequestContext[WorkspaceWorld, "ControlDialect"]


class ReadinessNotStarted(NotFound):
    """A report asked of a world with no session armed (404 with its own code and no details)."""

    code = "readiness_not_started"

    def __init__(self) -> None:
        MockError.__init__(self, "arm a session first: POST /_mock/readiness/start")


@operation("start_readiness")
def start_readiness(ctx: Context) -> Reply:
    if not ctx.world.journal.size:  # a session grades what the journal records
        raise Conflict("journal_disabled", "a readiness session grades the requests the request journal "
                       "records, and this sandbox keeps none (--journal-size 0): start it with a journal")
    return Reply(201, ctx.world.start_readiness().as_json())


@operation("get_readiness_report")
async def get_readiness_report(ctx: Context) -> Reply:
    world = ctx.world
    if world.readiness is None:
        raise ReadinessNotStarted()
    receiver_set = world.workspace.webhook_url is not None
    deliveries = world.outbox.deliveries(world.id)
    steps = world.readiness.report_steps(deliveries, receiver_set, ctx.dialect.hidden_headers,
                                         CoverageRecorder(ctx.dialect.api_document))
    report = await run_in_turns(steps)
    fmt = ctx.params.get("format", "json")
    if fmt == "md":
        page = readiness.markdown(report).encode()
        return Reply(200, None, {"content-type": "text/markdown; charset=utf-8"}, encoded=page)
    if fmt == "html":
        page = readiness.html(report).encode()
        return Reply(200, None, {"content-type": "text/html; charset=utf-8"}, encoded=page)
    return Reply(200, report.as_json())
