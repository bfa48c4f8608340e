"""`call_api`: one request to the sandbox's public APIs (Truedy's, Zudu's), the way a client sends it.

Bounded to the sandbox the MCP server serves: the tool takes a path, never a URL, and the path must
be a plain absolute path outside `/_mock` (the control API has tools of its own).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from mock_server.mcp_server.catalogue import CREDENTIALS
from mock_server.mcp_server.sandbox_client import Answer, Credentials, SandboxClient, ToolFailure, failure_of

NAME = "call_api"
DESCRIPTION = (
    "Send one request to this sandbox's public API: Truedy's under /api/public/v1 (Bearer key), "
    "Zudu's under /batch-call (key and secret). The answer's status, its X-Request-Id, Location, "
    "Retry-After and Idempotent-Replayed headers, and its body; a 4xx or 5xx is a tool error "
    "carrying the envelope's code and message. Read the `openapi.json` resource for the operations."
)
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")
SHOWN_HEADERS = ("x-request-id", "location", "retry-after", "idempotent-replayed")
INPUT_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "method": {"type": "string", "enum": list(METHODS)},
        "path": {
            "type": "string",
            "pattern": "^/",
            "maxLength": 2048,
            "description": "The path on this sandbox, e.g. /api/public/v1/batch-calls or "
            "/api/public/v1/batch-calls/batch_…/schedule; no query string (use `query`), not /_mock.",
        },
        "query": {
            "type": "object",
            "additionalProperties": {"type": ["string", "number", "integer", "boolean"]},
            "description": 'Query parameters, e.g. {"limit": 2}.',
        },
        "body": {"description": "The JSON body of a POST, PATCH or PUT."},
        "idempotency_key": {
            "type": "string",
            "minLength": 1,
            "maxLength": 255,
            "description": "Sent as X-Idempotency-Key (every POST accepts one).",
        },
        **{
            name: {"type": "string", "minLength": 1, "maxLength": 512, "description": text}
            for names in CREDENTIALS.values()
            for name, text in names.items()
        },
    },
    "required": ["method", "path"],
    "additionalProperties": False,
}


def checked_path(path: str) -> str:
    """`path` when it is a plain absolute path of the public APIs; a `ToolFailure` otherwise."""
    parts = urlsplit(path)
    decoded = unquote(parts.path)
    segments = decoded.split("/")[1:]
    plain = (
        not parts.scheme
        and not parts.netloc
        and not parts.query
        and not parts.fragment
        and path.startswith("/")
        and not path.startswith("//")
        and "\\" not in decoded
        and not any(segment in (".", "..") for segment in segments)
    )
    if not plain:
        raise ToolFailure(
            "path_not_allowed",
            f"'{path}' is not a plain absolute path on this sandbox "
            "(no scheme, host, query string, '..' or '\\'; put query parameters in `query`)",
        )
    if segments[0] == "_mock":
        raise ToolFailure("path_not_allowed", "the control API (/_mock) has tools of its own: list them")
    return path


def rendered(answer: Answer) -> dict[str, Any]:
    return {
        "status": answer.status,
        "headers": {name: answer.headers[name] for name in SHOWN_HEADERS if name in answer.headers},
        "body": answer.json() if answer.is_json else answer.content.decode("utf-8", "replace"),
    }


async def call_api(
    sandbox: SandboxClient, credentials: Credentials, arguments: Mapping[str, Any]
) -> dict[str, Any]:
    method = str(arguments["method"]).upper()
    path = checked_path(str(arguments["path"]))
    headers = {}
    if arguments.get("idempotency_key"):
        headers["x-idempotency-key"] = str(arguments["idempotency_key"])
    answer = await sandbox.send(
        credentials.naming(arguments),
        method,
        path,
        query=arguments.get("query"),
        body=arguments.get("body"),
        has_body="body" in arguments,
        headers=headers,
    )
    if answer.status >= 400:
        raise failure_of(answer, rendered(answer))
    return rendered(answer)
