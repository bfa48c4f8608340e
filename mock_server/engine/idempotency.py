"""X-Idempotency-Key, after the IETF httpapi draft: replay, reuse with another body, in progress."""

from __future__ import annotations

import hashlib

from mock_server.core.errors import BusinessRuleViolation, IdempotencyInProgress
from mock_server.store.base import Collection, IdempotencyRecord

RETENTION_SECONDS = 24 * 3600


SMALL_BODY = 1024  # bodies up to this size are compared as they are; larger ones by SHA-256


def fingerprint(operation_id: str, path: str, body: bytes) -> bytes:
    """What a replay must match: the operation, the path and the body, byte for byte."""
    request = b"\0".join([operation_id.encode(), path.encode(), body])
    return b"=" + request if len(body) <= SMALL_BODY else b"#" + hashlib.sha256(request).digest()


def begin(
    records: Collection[IdempotencyRecord], key: str, print_: bytes, now: float
) -> IdempotencyRecord:
    """The record of the key: a new one in progress, or a finished one to replay."""
    record = records.get(key)
    if record is not None and record.expires_at <= now:
        records.delete(key)
        record = None
    if record is None:
        record = IdempotencyRecord(fingerprint=print_, expires_at=now + RETENTION_SECONDS)
        records.put(key, record)
        return record
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
    record: IdempotencyRecord,
    status: int,
    body: bytes,
    headers: dict[str, str],
) -> None:
    """Keep the answer for replays; a server error is not kept, so the client may retry."""
    if status >= 500:
        if records.get(key) is record:
            records.delete(key)
        return
    record.in_progress = False
    record.status = status
    record.body = body
    record.headers = headers
