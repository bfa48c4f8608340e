"""The control API's envelope: every error it answers is mapped to its status and shape here, once.

`{"error": {"code", "message", "details"}}`; a request that breaks the control spec is a 422
`validation_error` whose details list the violations (`ControlValidationError`).
"""

from __future__ import annotations

import copy

from mock_server.core.errors import (
    BadRequest,
    Conflict,
    CrossOriginRequest,
    HeadersTooLarge,
    MethodNotAllowed,
    MisdirectedRequest,
    MockError,
    NotFound,
    PayloadTooLarge,
    RequestInvalid,
    ServiceUnavailable,
    Unauthorized,
    UnsupportedMediaType,
)
from mock_server.engine.context import Reply
from mock_server.engine.spec import ResponseSpec
from mock_server.engine.validation import bounded_violations

_STATUS: tuple[tuple[type[MockError], int], ...] = (
    (BadRequest, 400),
    (Unauthorized, 401),
    (CrossOriginRequest, 403),
    (NotFound, 404),
    (MethodNotAllowed, 405),
    (Conflict, 409),
    (PayloadTooLarge, 413),
    (UnsupportedMediaType, 415),
    (MisdirectedRequest, 421),
    (HeadersTooLarge, 431),
    (RequestInvalid, 422),
    (ServiceUnavailable, 503),  # with a PostgreSQL store: the database cannot be reached
)


def error_reply(error: MockError, request_id: str, now: float) -> Reply:
    status = next((code for kind, code in _STATUS if isinstance(error, kind)), 500)
    details = error.details
    headers: dict[str, str] = {}
    if isinstance(error, RequestInvalid):
        shown, count = bounded_violations(error.violations)
        details = {"violations": shown, "count": count}
    elif isinstance(error, MethodNotAllowed):
        headers["Allow"] = ", ".join(error.allowed)
    elif isinstance(error, ServiceUnavailable):
        headers["Retry-After"] = str(error.retry_after)
    body = {"error": {"code": error.code, "message": error.message, "details": details}}
    return Reply(status, body, headers)


def example_reply(response: ResponseSpec, request_id: str, now: float) -> Reply:
    status = int(response.status) if response.status.isdigit() else 500
    return Reply(status, copy.deepcopy(response.first_example()))
