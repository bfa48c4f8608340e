"""Journal entries in issue 13's shape and webhook deliveries, for the readiness unit tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from mock_server.readiness import Exchange, WebhookDelivery, delivery_from_json, exchange_from_entry

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC).timestamp()
_ids = itertools.count(1)
BODY = {"name": "Spring", "agent_id": "agt_sandbox_ready", "contacts": [{"phone_number": "+15550100001"}]}


def rfc3339(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def entry(
    at: float,
    method: str = "GET",
    path: str = "/api/public/v1/agents",
    operation_id: str | None = "list_agents",
    status: int = 200,
    *,
    key: str | None = None,
    body: Any = None,
    query: Any = None,
    response_headers: dict[str, str] | None = None,
    response_body: Any = None,
    validation_errors: list[Any] | None = None,
    duration_ms: float = 5.0,
) -> Exchange:
    """One exchange `at` seconds after T0, built from a journal entry as the journal writes it."""
    headers = {"authorization": "Bearer …dbox", "content-type": "application/json"}
    if key is not None:
        headers["x-idempotency-key"] = key
    return exchange_from_entry(
        {
            "request_id": f"req_{next(_ids):04d}",
            "received_at": rfc3339(T0 + at),
            "simulated_at": rfc3339(T0 + at),
            "workspace_id": "ws_1",
            "method": method,
            "path": path,
            "query": query if query is not None else {},
            "operation_id": operation_id,
            "request_headers": headers,
            "request_body": body,
            "status": status,
            "response_headers": response_headers or {},
            "response_body": response_body,
            "duration_ms": duration_ms,
            "validation_errors": validation_errors,
            "idempotent_replay": False,
            "fault": None,
            "truncated": False,
        }
    )


def create(at: float, status: int = 201, *, key: str | None = "k1", body: Any = None, **kw: Any) -> Exchange:
    return entry(at, "POST", "/api/public/v1/batch-calls", "create_batch_call", status,
                 key=key, body=BODY if body is None else body, **kw)


def unavailable(at: float, *, key: str | None = "k1", body: Any = None) -> Exchange:
    return create(at, 503, key=key, body=body, response_headers={"Retry-After": "1"})


def read_batch(at: float, batch: str = "batch_1", status: int = 200) -> Exchange:
    return entry(at, "GET", f"/api/public/v1/batch-calls/{batch}", "get_batch_call", status)


def page(at: float, offset: int, has_more: bool, query: Any = None) -> Exchange:
    query = {"limit": "1", "offset": str(offset)} if query is None else query
    body = {"data": [{}], "pagination": {"total": 3, "limit": 1, "offset": offset, "has_more": has_more}}
    return entry(at, "GET", "/api/public/v1/batch-calls", "list_batch_calls", query=query, response_body=body)


def delivery(kind: str, *answers: tuple[int | None, float | None]) -> WebhookDelivery:
    return delivery_from_json(
        {
            "id": f"whd_{next(_ids):04d}",
            "kind": kind,
            "attempts": [
                {"status_code": status, "sent_at": rfc3339(T0 + i), "answered_in_seconds": seconds}
                for i, (status, seconds) in enumerate(answers)
            ],
        }
    )
