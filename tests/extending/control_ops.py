"""Two control operations added the way the recipe says: their entries in the control spec (made by
`with_counts` on a copy of openapi.control.json) and these handlers, registered for their ids."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from mock_server.control.operations import operation
from mock_server.engine.context import Reply, RequestContext
from mock_server.world import WorkspaceWorld

if TYPE_CHECKING:
    from mock_server.control.dialect import ControlDialect

Context: TypeAlias = RequestContext[WorkspaceWorld, "ControlDialect"]


@operation("count_batches")
def count_batches(ctx: Context) -> Reply:
    """The batches of the world, every API's."""
    world = ctx.world
    return Reply(200, {"count": len(world.store.batches(world.id))})


@operation("count_workspaces")
def count_workspaces(ctx: Context) -> Reply:
    """The sandbox's workspaces, the default one included."""
    return Reply(200, {"count": len(ctx.dialect.sandbox.worlds)})


def _counting(operation_id: str, summary: str, scope: str, security: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "get": {
            "operationId": operation_id,
            "x-scope": scope,
            "tags": ["Sandbox"],
            "summary": summary,
            "security": security,
            "responses": {
                "200": {
                    "description": "The count.",
                    "headers": {"X-Request-Id": {"$ref": "#/components/headers/XRequestId"}},
                    "content": {"application/json": {"schema": {
                        "type": "object", "required": ["count"], "additionalProperties": False,
                        "properties": {"count": {"type": "integer", "minimum": 0}},
                    }}},
                },
                "401": {"$ref": "#/components/responses/Unauthorized"},
            },
        }
    }


def with_counts(control_spec: Path, into: Path) -> Path:
    """The control spec with `GET /batches/count` (a world's) and `GET /workspaces/count` (the
    whole sandbox's), as a contributor would write them."""
    document = json.loads(control_spec.read_text())
    world = copy.deepcopy(document["paths"]["/clock"]["get"]["security"])
    sandbox = copy.deepcopy(document["paths"]["/workspaces"]["get"]["security"])
    document["paths"]["/batches/count"] = _counting(
        "count_batches", "Count the world's batches", "world", world
    )
    document["paths"]["/workspaces/count"] = _counting(
        "count_workspaces", "Count the workspaces", "sandbox", sandbox
    )
    into.write_text(json.dumps(document, indent=2) + "\n")
    return into
