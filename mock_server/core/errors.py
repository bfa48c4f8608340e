"""The one error tree of the mock. Each kind carries its HTTP status and the headers its answer
needs (`Allow`, `Retry-After`, `WWW-Authenticate`), whatever API answers it; each API's envelope
module only shapes its body. Pure: no I/O, no framework."""

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
    """Base of every failure the mock answers on purpose (a bare one is a 500)."""

    code: str = "internal_error"
    http_status: int = 500

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def headers(self) -> dict[str, str]:
        """The headers its answer carries in every envelope."""
        return {}


class BadRequest(MockError):
    code = "invalid_json"
    http_status = 400


class Unauthorized(MockError):
    code = "unauthorized"
    http_status = 401

    def __init__(self, message: str, *, challenge: str | None = None) -> None:
        super().__init__(message)
        self.challenge = challenge  # `WWW-Authenticate`, when the refusing scheme has one

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": self.challenge} if self.challenge else {}


class CrossOriginRequest(MockError):
    """A write to the control API sent by a page of another origin (a browser's cross-site request)."""

    code = "cross_origin_request"
    http_status = 403


class NotFound(MockError):
    code = "not_found"
    http_status = 404

    def __init__(self, resource: str, resource_id: str, message: str | None = None) -> None:
        super().__init__(
            message or f"{resource} '{resource_id}' was not found",
            {"resource": resource, "id": resource_id},
        )


class MethodNotAllowed(MockError):
    code = "method_not_allowed"
    http_status = 405

    def __init__(self, method: str, allowed: Sequence[str]) -> None:
        super().__init__(
            f"method {method} is not allowed here; allowed: {', '.join(allowed)}",
            {"allowed": list(allowed)},
        )
        self.allowed = list(allowed)

    def headers(self) -> dict[str, str]:
        return {"Allow": ", ".join(self.allowed)}


class Conflict(MockError):
    """The request is valid but the state it acts on refuses it (409 with this code)."""

    http_status = 409

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details)
        self.code = code


class QuotaExceeded(MockError):
    """The workspace holds as much of something as its quota allows, and the request would add more
    (409: valid, and accepted once room is made by deleting)."""

    code = "quota_exceeded"
    http_status = 409

    def __init__(self, quota: str, what: str, limit: int, in_use: int, requested: int) -> None:
        super().__init__(
            f"quota exceeded ({quota}): the workspace holds {in_use} of its {limit} {what}, and this "
            f"request would add {requested}; delete some to make room",
            {"quota": quota, "limit": limit, "in_use": in_use, "requested": requested},
        )


class IdempotencyInProgress(MockError):
    code = "idempotency_request_in_progress"
    http_status = 409


class PayloadTooLarge(MockError):
    code = "payload_too_large"
    http_status = 413


class UnsupportedMediaType(MockError):
    code = "unsupported_media_type"
    http_status = 415


class MisdirectedRequest(MockError):
    """The request names a Host the sandbox does not answer (a web page rebinding its own name)."""

    code = "misdirected_request"
    http_status = 421


class HeadersTooLarge(MockError):
    """The request's headers are over the sandbox's limits (431, before any other work)."""

    code = "request_headers_too_large"
    http_status = 431


class RateLimited(MockError):
    code = "rate_limit_exceeded"
    http_status = 429

    def __init__(self, limit: int, period: str, reset_at: str, retry_after: int) -> None:
        super().__init__(
            f"rate limit of {limit} requests per {period} exceeded; retry after {retry_after} s",
            {"limit": limit, "reset_at": reset_at},
        )
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class InternalError(MockError):
    code = "internal_error"


class ServiceUnavailable(MockError):
    code = "service_unavailable"
    http_status = 503

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds, sent as Retry-After

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class RequestInvalid(MockError):
    """Request validation failed: answered as HTTPValidationError listing every violation."""

    code = "validation_error"
    http_status = 422

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

    http_status = 422

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details)
        self.code = code


class InvalidState(BusinessRuleViolation):
    """A command the batch's status does not allow. Its HTTP status is the lifecycle's
    (`batch_rules.Lifecycle.refused_with`): 422 by default, 400 for an API that says so."""

    def __init__(self, action: str, status: str, allowed: Sequence[str], http_status: int = 422) -> None:
        self.action = action  # a verb: dialects word their own message from it
        self.status = status
        self.allowed = tuple(allowed)
        super().__init__(
            "invalid_state",
            f"cannot {action} a batch call in status '{status}'; allowed from: " + ", ".join(allowed),
            {"status": status, "allowed_statuses": list(allowed)},
        )
        self.http_status = http_status
