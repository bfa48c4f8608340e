"""The control API's envelope: the shape of every error it answers, in one place.

`{"error": {"code", "message", "details"}}`; a request that breaks the control spec is a 422
`validation_error` whose details list the violations (`ControlValidationError`).
"""

from __future__ import annotations

import copy

from mock_server.core.errors import MockError, RequestInvalid
from mock_server.engine.context import Reply
from mock_server.engine.spec import ResponseSpec
from mock_server.engine.validation import bounded_violations


def error_reply(error: MockError, request_id: str, now: float) -> Reply:
    """The error's body in the control envelope (its status and headers are the error's own)."""
    details = error.details
    if isinstance(error, RequestInvalid):
        shown, count = bounded_violations(error.violations)
        details = {"violations": shown, "count": count}
    body = {"error": {"code": error.code, "message": error.message, "details": details}}
    return Reply(error.http_status, body, error.headers())


def example_reply(response: ResponseSpec, request_id: str, now: float) -> Reply:
    status = int(response.status) if response.status.isdigit() else 500
    return Reply(status, copy.deepcopy(response.first_example()))
