"""The control API's own document and the console page: served as they are, no credentials."""

from __future__ import annotations

from mock_server.engine.context import Handler, Reply, RequestContext
from mock_server.web.console import console_page
from mock_server.world import WorkspaceWorld

Context = RequestContext[WorkspaceWorld]


def handlers(document: bytes) -> dict[str, Handler]:
    """`document`: the control spec's bytes as read at start-up (the copy the engine enforces)."""
    page = console_page()

    def get_control_openapi(ctx: Context) -> Reply:
        return Reply(200, None, {"content-type": "application/json"}, encoded=document)

    def get_console(ctx: Context) -> Reply:
        return Reply(200, None, {"content-type": "text/html; charset=utf-8"}, encoded=page)

    return {"get_control_openapi": get_control_openapi, "get_console": get_console}
