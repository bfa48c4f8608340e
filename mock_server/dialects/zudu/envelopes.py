"""Zudu's envelopes. Every error the mock answers over Zudu's API gets its status and shape here, once.

Success: `{"message", "status": "success", "error": null, "data"}`. Error: `{"message", "status":
"error", "error": "<sentence>"}`; a request-validation 422 adds `errors`, every violation listed.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from mock_server.core.errors import (
    BadRequest,
    BusinessRuleViolation,
    HeadersTooLarge,
    IdempotencyInProgress,
    InvalidState,
    MethodNotAllowed,
    MisdirectedRequest,
    MockError,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    RequestInvalid,
    ServiceUnavailable,
    Unauthorized,
    UnsupportedMediaType,
    Violation,
)
from mock_server.dialects.zudu import rules
from mock_server.engine.context import Reply
from mock_server.engine.spec import ResponseSpec

# kind -> (status, message); the first match wins, so InvalidState precedes BusinessRuleViolation
_KINDS: tuple[tuple[type[MockError], int, str], ...] = (
    (BadRequest, 400, "Bad request"),
    (InvalidState, 400, "Validation error"),  # Zudu's pages: a refused status change is a 400
    (Unauthorized, 401, "Unauthorized"),
    (NotFound, 404, "Not found"),
    (MethodNotAllowed, 405, "Method not allowed"),
    (IdempotencyInProgress, 409, "Conflict"),
    (PayloadTooLarge, 413, "Payload too large"),
    (UnsupportedMediaType, 415, "Unsupported media type"),
    (MisdirectedRequest, 421, "Misdirected request"),  # a Host the sandbox does not answer
    (HeadersTooLarge, 431, "Request header fields too large"),
    (RequestInvalid, 422, "Validation error"),
    (BusinessRuleViolation, 422, "Validation error"),
    (RateLimited, 429, "Too many requests"),
    (ServiceUnavailable, 503, "Service unavailable"),
)
_FIELD_NAMES = {"scheduled_at": "trigger_timestamp"}  # core setting -> Zudu field, in field paths
_SHOWN_VIOLATIONS = 3


def success(message: str, data: Any, status: int = 200) -> Reply:
    return Reply(status, {"message": message, "status": "success", "error": None, "data": data})


def field_of(violation: Violation) -> dict[str, Any]:
    """`("body", "tasks", 0, "to_number")` -> location `body`, field `tasks[0].to_number`."""
    location = str(violation.loc[0]) if violation.loc else "body"
    path = ""
    for part in violation.loc[1:]:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            name = _FIELD_NAMES.get(part, part) if not path else part
            path += f".{name}" if path else name
    return {"field": path or None, "location": location, "message": violation.msg, "type": violation.type}


def _sentence(error: MockError) -> str:
    if isinstance(error, InvalidState):
        # the lifecycle's action is the verb, as Zudu words it: "Cannot execute batch call with status sent"
        return f"Cannot {error.action} batch call with status {rules.STATUS.get(error.status, error.status)}"
    if isinstance(error, NotFound) and error.details and error.details.get("resource") == "batch_call":
        return f"Batch call {error.details['id']} not found"
    if isinstance(error, RequestInvalid):
        return _violations_sentence(error.shown(), len(error.violations))
    text = error.message
    return text[:1].upper() + text[1:]


def _violations_sentence(violations: Sequence[Violation], total: int) -> str:
    shown = []
    for v in violations[:_SHOWN_VIOLATIONS]:
        where = field_of(v)
        shown.append(f"{where['field'] or where['location']}: {v.msg}")
    more = total - min(len(violations), _SHOWN_VIOLATIONS)
    return "; ".join(shown) + (f" (and {more} more)" if more > 0 else "")


def status_of(error: MockError) -> tuple[int, str]:
    for kind, status, message in _KINDS:
        if isinstance(error, kind):
            return status, message
    return 500, "Internal server error"


def error_reply(error: MockError, request_id: str, now: float) -> Reply:
    status, message = status_of(error)
    body: dict[str, Any] = {"message": message, "status": "error", "error": _sentence(error)}
    if isinstance(error, RequestInvalid):
        body["errors"] = [field_of(v) for v in error.shown()]
        if error.cut():
            body["violation_count"] = len(error.violations)
    headers: dict[str, str] = {}
    if isinstance(error, MethodNotAllowed):
        headers["Allow"] = ", ".join(error.allowed)
    elif isinstance(error, RateLimited | ServiceUnavailable):
        headers["Retry-After"] = str(error.retry_after)
    return Reply(status, body, headers)


def example_reply(response: ResponseSpec, request_id: str, now: float) -> Reply:
    """The documented example of a response, for `Prefer: code=…`."""
    status = int(response.status) if response.status.isdigit() else 500
    headers = {"Retry-After": "60"} if status == 429 else {}
    return Reply(status, copy.deepcopy(response.first_example()), headers)


def pagination(page: int, limit: int, total: int) -> dict[str, int]:
    return {"page": page, "limit": limit, "total_count": total, "total_pages": -(-total // limit)}


def window(items: Sequence[Any], page: int, limit: int) -> Sequence[Any]:
    """The items of one 0-based page."""
    return items[page * limit : (page + 1) * limit]
