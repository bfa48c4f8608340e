"""X-Idempotency-Key, after the IETF httpapi draft: replay, reuse with another body, in progress."""

from __future__ import annotations

import hashlib

from mock_server.core.errors import BusinessRuleViolation, IdempotencyInProgress
from mock_server.store.base import Collection, IdempotencyRecord

RETENTION_SECONDS = 24 * 3600


def fingerprint(operation_id: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\0".join([operation_id.encode(), path.encode(), body])).hexdigest()


def begin(
    records: Collection[IdempotencyRecord], key: str, print_: str, now: float
) -> IdempotencyRecord | None:
    """The stored record to replay, or None after marking the key as in progress."""
    record = records.get(key)
    if record is not None and record.expires_at <= now:
        records.delete(key)
        record = None
    if record is None:
        records.put(key, IdempotencyRecord(fingerprint=print_, expires_at=now + RETENTION_SECONDS))
        return None
    if record.fingerprint != print_:
        raise BusinessRuleViolation(
            "idempotency_key_reused",
            "this X-Idempotency-Key was already used with a different request body",
            {"idempotency_key": key},
        )
    if record.in_progress:
        raise IdempotencyInProgress(
            "a request with this X-Idempotency-Key is still being processed",
            {"idempotency_key": key},
        )
    return record


def finish(
    records: Collection[IdempotencyRecord],
    key: str,
    status: int,
    body: bytes,
    headers: dict[str, str],
) -> None:
    """Keep the answer for replays; a server error is not kept, so the client may retry."""
    record = records.get(key)
    if record is None:
        return
    if status >= 500:
        records.delete(key)
        return
    record.in_progress = False
    record.status = status
    record.body = body
    record.headers = headers
