"""The control API's own document and the console page: served as they are, no credentials."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from mock_server.control.operations import operation
from mock_server.engine.context import Reply, RequestContext
from mock_server.world import WorkspaceWorld

if TYPE_CHECKING:
    from mock_server.control.dialect import ControlDialect

Context: TypeAlias = RequestContext[WorkspaceWorld, "ControlDialect"]


@operation("get_control_openapi")
def get_control_openapi(ctx: Context) -> Reply:
    """The control spec's bytes as read at start-up (the copy the engine enforces)."""
    return Reply(200, None, {"content-type": "application/json"}, encoded=ctx.dialect.spec.source)


@operation("get_console")
def get_console(ctx: Context) -> Reply:
    return Reply(200, None, {"content-type": "text/html; charset=utf-8"}, encoded=ctx.dialect.console_page)
