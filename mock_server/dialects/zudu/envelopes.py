"""Zudu's envelopes: the shape of every answer over Zudu's API, errors included, in one place.

Success: `{"message", "status": "success", "error": null, "data"}`. Error: `{"message", "status":
"error", "error": "<sentence>"}`; a request-validation 422 adds `errors`, every violation listed.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from mock_server.core.errors import (
    BusinessRuleViolation,
    InvalidState,
    MockError,
    NotFound,
    RequestInvalid,
    Violation,
)
from mock_server.dialects.zudu import rules
from mock_server.engine.context import Reply
from mock_server.engine.spec import ResponseSpec

# the `message` of an error body: the words of its status ("Validation error" for every 422, and
# for a refused status change, which Zudu answers 400)
_WORDS = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    421: "Misdirected request",
    422: "Validation error",
    429: "Too many requests",
    431: "Request header fields too large",
    503: "Service unavailable",
}
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


def error_reply(error: MockError, request_id: str, now: float) -> Reply:
    """The error's body as Zudu shapes it (its status and headers are the error's own)."""
    validation = isinstance(error, BusinessRuleViolation | RequestInvalid)
    message = "Validation error" if validation else _WORDS.get(error.http_status, "Internal server error")
    body: dict[str, Any] = {"message": message, "status": "error", "error": _sentence(error)}
    if isinstance(error, RequestInvalid):
        body["errors"] = [field_of(v) for v in error.shown()]
        if error.cut():
            body["violation_count"] = len(error.violations)
    return Reply(error.http_status, body, error.headers())


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
