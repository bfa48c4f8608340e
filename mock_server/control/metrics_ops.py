"""`GET /_mock/metrics`: the sandbox's counts in Prometheus' text format (`observe/metrics_export.py`).

Its scope is the whole sandbox (`x-scope: sandbox`): the admin token when the sandbox has one."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from mock_server.control.operations import operation
from mock_server.engine.context import Reply, RequestContext
from mock_server.observe.metrics_export import CONTENT_TYPE
from mock_server.world import WorkspaceWorld

if TYPE_CHECKING:
    from mock_server.control.dialect import ControlDialect

Context: TypeAlias = RequestContext[WorkspaceWorld, "ControlDialect"]


@operation("get_metrics")
def get_metrics(ctx: Context) -> Reply:
    return Reply(200, None, {"content-type": CONTENT_TYPE}, encoded=ctx.dialect.metrics())
