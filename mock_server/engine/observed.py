"""One answered request as a request-journal entry (issue 13's shape), for a readiness session.

Built only while a session is armed. Authorization and the Zudu secret are not kept.
"""

from __future__ import annotations

from typing import Any

import orjson

from mock_server.core.timefmt import timestamp
from mock_server.engine.context import Reply
from mock_server.engine.incoming import Incoming

_HIDDEN = frozenset({"authorization", "x-api-secret", "x-mock-admin-token"})


def _parsed(raw: bytes | None) -> Any:
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw.decode("utf-8", "replace")


def journal_entry(
    request: Incoming,
    request_id: str,
    operation_id: str,
    workspace_id: str,
    reply: Reply,
    body: bytes,
    received_at: float,
    answered_at: float,
    simulated_at: float,
) -> dict[str, Any]:
    response_body = _parsed(body)
    errors = response_body.get("detail") if reply.status == 422 and isinstance(response_body, dict) else None
    return {
        "request_id": request_id,
        "received_at": timestamp(received_at),
        "simulated_at": timestamp(simulated_at),
        "workspace_id": workspace_id,
        "method": request.method,
        "path": request.path,
        "query": dict(request.query),
        "operation_id": operation_id,
        "request_headers": {k: v for k, v in request.headers.items() if k not in _HIDDEN},
        "request_body": _parsed(request.raw),
        "status": reply.status,
        "response_headers": {k.lower(): v for k, v in reply.headers.items()},
        "response_body": response_body,
        "duration_ms": round((answered_at - received_at) * 1000, 3),
        "validation_errors": errors if isinstance(errors, list) else None,
        "idempotent_replay": reply.headers.get("Idempotent-Replayed") == "true",
        "fault": None,
        "truncated": False,
    }
