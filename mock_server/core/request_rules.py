"""The business rules of a request as such, whatever it asks for: an idempotency key names one
request (IETF httpapi idempotency-key draft), so reusing it for another is a 422."""

from __future__ import annotations

from mock_server.core.errors import BusinessRuleViolation


def require_same_request(key: str, recorded: bytes, given: bytes) -> None:
    """`recorded` and `given` are fingerprints of the request that took the key and of this one."""
    if recorded != given:
        raise BusinessRuleViolation(
            "idempotency_key_reused",
            "this X-Idempotency-Key was already used with a different request body",
            {"idempotency_key": key},
        )
