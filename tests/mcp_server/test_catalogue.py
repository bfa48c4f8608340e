"""The tools' input schemas come from openapi.control.json: one fact, one place."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema_rs

from mock_server.mcp_server.catalogue import control_tools
from mock_server.settings import default_control_spec_path

DOCUMENT: dict[str, Any] = json.loads(default_control_spec_path().read_text(encoding="utf-8"))
RESOLVED: dict[str, Any] = jsonschema_rs.dereference(DOCUMENT)


def operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    return {
        op["operationId"]: (method, path, op)
        for path, item in RESOLVED["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "operationId" in op
    }


def test_every_operation_that_needs_credentials_is_a_tool_and_no_open_one() -> None:
    tools = {tool.name for tool in control_tools(DOCUMENT)}
    secured = {name for name, (_, _, op) in operations().items() if any(op.get("security", []))}
    assert tools == secured
    assert {"get_control_openapi", "get_console"}.isdisjoint(tools)
    assert {
        "create_workspace",
        "advance_clock",
        "list_requests",
        "add_fault",
        "set_webhook",
        "list_webhook_deliveries",
        "start_readiness",
        "get_readiness_report",
    } <= tools


def test_each_schema_is_the_operations_parameters_body_and_credentials() -> None:
    found = operations()
    for tool in control_tools(DOCUMENT):
        method, path, op = found[tool.name]
        assert (tool.method, tool.path) == (method.upper(), "/_mock" + path)
        properties = tool.input_schema["properties"]
        for parameter in op.get("parameters", []):
            assert properties[parameter["name"]] == {
                **parameter["schema"],
                "description": parameter["description"],
            }
            assert tool.locations[parameter["name"]] == parameter["in"]
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None:
            assert {k: v for k, v in properties["body"].items() if k != "description"} == {
                k: v for k, v in body["schema"].items() if k != "description"
            }
            assert ("body" in tool.input_schema.get("required", [])) == op["requestBody"].get(
                "required", False
            )
        schemes = {name for requirement in op["security"] for name in requirement}
        assert ("api_key" in properties) == ("bearerKey" in schemes)
        assert ("zudu_key" in properties) == ("zudu_secret" in properties) == ("zuduKey" in schemes)
        expected = {p["name"] for p in op.get("parameters", [])} | ({"body"} if body is not None else set())
        assert set(properties) - {"api_key", "zudu_key", "zudu_secret"} == expected
        assert tool.input_schema["additionalProperties"] is False


def test_a_new_operation_of_the_document_becomes_a_tool_with_its_schema() -> None:
    changed = copy.deepcopy(DOCUMENT)
    changed["paths"]["/workspaces/{workspace_id}"] = {
        "delete": {
            "operationId": "delete_workspace",
            "summary": "Delete a workspace",
            "security": [{"adminToken": []}, {}],
            "parameters": [
                {
                    "name": "workspace_id",
                    "in": "path",
                    "required": True,
                    "description": "The workspace.",
                    "schema": {"type": "string", "maxLength": 64},
                }
            ],
            "responses": {"204": {"description": "Deleted."}},
        }
    }
    (tool,) = [t for t in control_tools(changed) if t.name == "delete_workspace"]
    assert (tool.method, tool.path) == ("DELETE", "/_mock/workspaces/{workspace_id}")
    assert tool.input_schema["properties"] == {
        "workspace_id": {"type": "string", "maxLength": 64, "description": "The workspace."}
    }
    assert tool.input_schema["required"] == ["workspace_id"]
    assert tool.description.startswith("Delete a workspace (DELETE /_mock/workspaces/{workspace_id}).")
