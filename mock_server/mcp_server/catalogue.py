"""The control API's operations as MCP tools, read from openapi.control.json (pure: no I/O).

A tool is made of every operation that needs credentials (its `security` names a scheme; the open
ones are the document itself, served as a resource, and the console page, which is for people).
Its input schema is derived from the operation: each path and query parameter is a property with
its schema and description, the JSON request body is the property `body` (required when the body
is), and the credentials its `security` accepts are optional properties (`api_key`, or `zudu_key`
and `zudu_secret`) naming the workspace whose world the call acts on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

HTTP_METHODS = ("get", "put", "post", "delete", "patch")

# credential properties a tool accepts, by the security scheme of the control document that says so
CREDENTIALS: Mapping[str, Mapping[str, str]] = {
    "bearerKey": {
        "api_key": "A Truedy workspace key: act on that workspace's world (default: the credentials "
        "this MCP server was given).",
    },
    "zuduKey": {
        "zudu_key": "A Zudu workspace key (X-API-KEY), with `zudu_secret`: act on that workspace's world.",
        "zudu_secret": "The secret of `zudu_key` (X-API-SECRET).",
    },
}


@dataclass(frozen=True, slots=True)
class ControlTool:
    """One control operation, as a tool: how to call it and what it accepts."""

    name: str  # the operationId
    method: str  # upper case
    path: str  # the full path template, e.g. /_mock/faults/{fault_id}
    description: str
    input_schema: Mapping[str, Any]
    locations: Mapping[str, str]  # parameter name -> path | query


def _summary(operation: Mapping[str, Any], method: str, path: str) -> str:
    """The operation's summary and its description up to the scope paragraph every world
    operation repeats (the tool's credentials say the same in fewer words)."""
    paragraphs = str(operation.get("description", "")).split("\n\n")
    kept = [p for p in paragraphs if not p.startswith("**Scope")][:2]
    return "\n\n".join([f"{operation.get('summary', '')} ({method} {path}).", *kept]).strip()


def _input_schema(operation: Mapping[str, Any], schemes: set[str]) -> tuple[dict[str, Any], dict[str, str]]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    locations: dict[str, str] = {}
    for parameter in operation.get("parameters", []):
        if parameter["in"] not in ("path", "query"):
            continue
        name = parameter["name"]
        properties[name] = {**parameter.get("schema", {}), "description": parameter.get("description", "")}
        locations[name] = parameter["in"]
        if parameter.get("required") or parameter["in"] == "path":
            required.append(name)
    body: Mapping[str, Any] = operation.get("requestBody") or {}
    media = body.get("content", {}).get("application/json")
    if media is not None:
        described = body.get("description") or media.get("schema", {}).get("description", "")
        properties["body"] = {**media.get("schema", {}), "description": described or "The request body."}
        if body.get("required"):
            required.append("body")
    for scheme in sorted(schemes):
        for name, text in CREDENTIALS.get(scheme, {}).items():
            properties[name] = {"type": "string", "minLength": 1, "maxLength": 512, "description": text}
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema, locations


def control_tools(document: Mapping[str, Any]) -> list[ControlTool]:
    """Every control operation that needs credentials, as a tool, in document order."""
    resolved: Mapping[str, Any] = jsonschema_rs.dereference(dict(document))
    servers = resolved.get("servers") or [{"url": ""}]
    prefix = str(servers[0]["url"]).rstrip("/")
    tools: list[ControlTool] = []
    for template, item in resolved.get("paths", {}).items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            requirements = operation.get("security", resolved.get("security", []))
            schemes = {name for requirement in requirements for name in requirement}
            if not schemes:
                continue  # open: the document (a resource) and the console (a page for people)
            path = prefix + template
            schema, locations = _input_schema(operation, schemes)
            tools.append(
                ControlTool(
                    name=operation["operationId"],
                    method=method.upper(),
                    path=path,
                    description=_summary(operation, method.upper(), path),
                    input_schema=schema,
                    locations=locations,
                )
            )
    return tools
