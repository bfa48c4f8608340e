"""The control API's own document and the console page: served as they are, no credentials."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from mock_server.core.errors import NotFound
from mock_server.engine.context import Handler, Reply, RequestContext
from mock_server.world import WorkspaceWorld

Context = RequestContext[WorkspaceWorld]


def handlers(document: bytes) -> dict[str, Handler]:
    """`document`: the control spec's bytes as read at start-up (the copy the engine enforces)."""

    def get_control_openapi(ctx: Context) -> Reply:
        return Reply(200, None, {"content-type": "application/json"}, encoded=document)

    def get_console(ctx: Context) -> Reply:
        page = resources.files("mock_server").joinpath("web/console.html")
        if not page.is_file():
            raise NotFound("page", "console")
        return Reply(200, None, {"content-type": "text/html; charset=utf-8"}, encoded=page.read_bytes())

    return {"get_control_openapi": get_control_openapi, "get_console": get_console}


def read_document(path: Path) -> bytes:
    return path.read_bytes()
