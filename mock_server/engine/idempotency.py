"""X-Idempotency-Key, after the IETF httpapi draft: replay, reuse with another body, in progress.

A workspace's records are kept 24 h of simulated time, and at most so many, holding at most so many
bytes (`--max-idempotency-keys`, `--max-idempotency-bytes`): past either bound the oldest go. On a
manual clock that never moves, time alone would keep every key forever.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from mock_server.core.errors import IdempotencyInProgress
from mock_server.core.request_rules import require_same_request
from mock_server.store.base import Collection

RETENTION_SECONDS = 24 * 3600
RECORD_OVERHEAD = 200  # bytes counted per record besides its key, fingerprint, answer and headers


@dataclass(slots=True)
class IdempotencyRecord:
    fingerprint: bytes  # see engine.idempotency.fingerprint
    expires_at: float
    in_progress: bool = True
    status: int = 0
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def size_of(key: str, record: IdempotencyRecord) -> int:
    """The bytes a record is counted for: everything it holds."""
    headers = sum(len(name) + len(value) for name, value in record.headers.items())
    return RECORD_OVERHEAD + len(key) + len(record.fingerprint) + len(record.body) + headers


class Records(Collection[IdempotencyRecord], Protocol):
    """A workspace's idempotency records, oldest first."""

    def forget_expired(self, now: float) -> None: ...


class KeptRecords:
    """A workspace's records, bounded by count and bytes: the oldest are dropped first. Records are
    kept in the order they were taken, which is also the order they expire in (a world's clock
    never goes back), so expired ones are dropped from the front, each once. An OrderedDict: the
    oldest of a plain dict is found by skipping the slots its dropped keys left (`next(iter(...))`
    cost 20 µs a create at 10,000 keys, up to the dict's next resize), an OrderedDict's in O(1)."""

    def __init__(self, max_keys: int, max_bytes: int) -> None:
        self.max_keys = max_keys
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, tuple[IdempotencyRecord, int]] = OrderedDict()  # key -> (record, size)
        self.bytes = 0

    def get(self, item_id: str) -> IdempotencyRecord | None:
        found = self._items.get(item_id)
        return None if found is None else found[0]

    def put(self, item_id: str, item: IdempotencyRecord) -> None:
        """Keep (or, once answered, count again) a record; a record that alone is over the byte
        bound is not kept."""
        size = size_of(item_id, item)
        previous = self._items.get(item_id)
        if previous is not None:
            self.bytes -= previous[1]
        self._items[item_id] = (item, size)  # a record counted again keeps its place in the order
        self.bytes += size
        if size > self.max_bytes:
            self.delete(item_id)
        while self._items and (len(self._items) > self.max_keys or self.bytes > self.max_bytes):
            self.delete(next(iter(self._items)))

    def delete(self, item_id: str) -> bool:
        found = self._items.pop(item_id, None)
        if found is None:
            return False
        self.bytes -= found[1]
        return True

    def forget_expired(self, now: float) -> None:
        while self._items:
            oldest = next(iter(self._items))
            if self._items[oldest][0].expires_at > now:
                return
            self.delete(oldest)

    def values(self) -> Iterator[IdempotencyRecord]:
        return iter([record for record, _ in self._items.values()])

    def __len__(self) -> int:
        return len(self._items)


SMALL_BODY = 1024  # bodies up to this size are compared as they are; larger ones by SHA-256


def fingerprint(operation_id: str, path: str, body: bytes) -> bytes:
    """What a replay must match: the operation, the path and the body, byte for byte."""
    request = b"\0".join([operation_id.encode(), path.encode(), body])
    return b"=" + request if len(body) <= SMALL_BODY else b"#" + hashlib.sha256(request).digest()


def begin(records: Records, key: str, print_: bytes, now: float) -> IdempotencyRecord:
    """The record of the key: a new one in progress, or a finished one to replay."""
    records.forget_expired(now)
    record = records.get(key)
    if record is None:
        record = IdempotencyRecord(fingerprint=print_, expires_at=now + RETENTION_SECONDS)
        records.put(key, record)
        return record
    require_same_request(key, record.fingerprint, print_)
    if record.in_progress:
        raise IdempotencyInProgress(
            "a request with this X-Idempotency-Key is still being processed",
            {"idempotency_key": key},
        )
    return record


def finish(
    records: Records,
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
    if records.get(key) is record:  # not dropped meanwhile by the bounds: counted with its answer
        records.put(key, record)
