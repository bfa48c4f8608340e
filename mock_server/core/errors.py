"""The one error tree of the mock. Each kind is rendered to its documented envelope in one place
(the dialect's renderer); nothing here knows about HTTP."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Violation:
    """One request-validation failure: where, what, and a machine-readable type."""

    loc: tuple[str | int, ...]
    msg: str
    type: str


class MockError(Exception):
    """Base of every failure the mock answers on purpose."""

    code: str = "internal_error"

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadRequest(MockError):
    code = "invalid_json"


class Unauthorized(MockError):
    code = "unauthorized"


class NotFound(MockError):
    code = "not_found"

    def __init__(self, resource: str, resource_id: str) -> None:
        super().__init__(
            f"{resource} '{resource_id}' was not found",
            {"resource": resource, "id": resource_id},
        )


class MethodNotAllowed(MockError):
    code = "method_not_allowed"

    def __init__(self, method: str, allowed: Sequence[str]) -> None:
        super().__init__(
            f"method {method} is not allowed here; allowed: {', '.join(allowed)}",
            {"allowed": list(allowed)},
        )
        self.allowed = list(allowed)


class IdempotencyInProgress(MockError):
    code = "idempotency_request_in_progress"


class CrossOriginRequest(MockError):
    """A write to the control API sent by a page of another origin (a browser's cross-site request)."""

    code = "cross_origin_request"


class MisdirectedRequest(MockError):
    """The request names a Host the sandbox does not answer (a web page rebinding its own name)."""

    code = "misdirected_request"


class PayloadTooLarge(MockError):
    code = "payload_too_large"


class UnsupportedMediaType(MockError):
    code = "unsupported_media_type"


class HeadersTooLarge(MockError):
    """The request's headers are over the sandbox's limits (431, before any other work)."""

    code = "request_headers_too_large"


class RateLimited(MockError):
    code = "rate_limit_exceeded"

    def __init__(self, limit: int, period: str, reset_at: str, retry_after: int) -> None:
        super().__init__(
            f"rate limit of {limit} requests per {period} exceeded; retry after {retry_after} s",
            {"limit": limit, "reset_at": reset_at},
        )
        self.retry_after = retry_after


class InternalError(MockError):
    code = "internal_error"


class Conflict(MockError):
    """The request is valid but the state it acts on refuses it (the control API's 409s)."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details)
        self.code = code


class ServiceUnavailable(MockError):
    code = "service_unavailable"
    retry_after = 1  # seconds, sent as Retry-After


class RequestInvalid(MockError):
    """Request validation failed: answered as HTTPValidationError listing every violation."""

    code = "validation_error"

    def __init__(self, violations: Sequence[Violation]) -> None:
        super().__init__("request validation failed")
        self.violations = list(violations)

    def shown(self) -> list[Violation]:
        """What an answer lists: the first `SHOWN_VIOLATIONS`, each cut to `ECHOED_CHARACTERS`
        (a message may quote the input, and a 1 MB name must not make a 1 MB answer)."""
        return [
            Violation(tuple(_cut(p) if isinstance(p, str) else p for p in v.loc), _cut(v.msg), v.type)
            for v in self.violations[:SHOWN_VIOLATIONS]
        ]

    def cut(self) -> bool:
        """Whether the answer lists fewer violations than there are."""
        return len(self.violations) > SHOWN_VIOLATIONS


SHOWN_VIOLATIONS = 100
ECHOED_CHARACTERS = 300


def _cut(text: str) -> str:
    if len(text) <= ECHOED_CHARACTERS:
        return text
    return f"{text[:ECHOED_CHARACTERS]}… ({len(text)} characters)"


class BusinessRuleViolation(MockError):
    """A documented business rule refused the request (422 ErrorResponse with this code)."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details)
        self.code = code


class InvalidState(BusinessRuleViolation):
    def __init__(self, action: str, status: str, allowed: Sequence[str]) -> None:
        self.action = action  # a verb: dialects word their own message from it
        self.status = status
        self.allowed = tuple(allowed)
        super().__init__(
            "invalid_state",
            f"cannot {action} a batch call in status '{status}'; allowed from: " + ", ".join(allowed),
            {"status": status, "allowed_statuses": list(allowed)},
        )
