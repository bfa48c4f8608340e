"""The request journal of one world: its last requests and their answers, bounded, filterable.

Recording must cost next to nothing on the hot path, so an `Exchange` keeps what the recorder saw
as it was (raw header lists, body bytes, violations as objects) and nothing is decoded, parsed or
redacted until someone reads the journal (`entry_json`).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson

from mock_server.core.errors import Violation
from mock_server.core.timefmt import timestamp
from mock_server.engine.seen import Unencoded, body_bytes

DEFAULT_SIZE = 10_000
MAX_BYTES = 64 * 1024 * 1024  # bytes of bodies one world's journal keeps at most
# Credentials are shown as their scheme and last 4 characters: enough to tell keys apart.
REDACTED_HEADERS = frozenset({"authorization", "x-api-secret", "x-mock-admin-token"})
# The same for credentials inside JSON bodies (the control API answers new workspaces' keys).
REDACTED_FIELDS = frozenset({"api_key", "api_secret", "webhook_secret", "secret", "admin_token"})
_KEPT_CHARACTERS = 4
_SHORTEST_SHOWN = 12  # a shorter secret is hidden whole: its last 4 characters would give much away

Headers = Sequence[tuple[bytes, bytes]]


class Exchange(NamedTuple):
    """One request and its answer, as the recorder saw them (bodies already cut to 64 KiB). The
    journal keeps each as a plain tuple of these fields (cheaper to build) and reads it as this."""

    request_id: str
    received_at: float  # wall clock, POSIX seconds
    simulated_at: float  # the world's clock
    workspace_id: str
    method: str
    path: str
    query: bytes
    operation_id: str | None
    template: str | None  # the spec path template the operation is served at, when one matched
    request_headers: Headers
    request_body: bytes
    status: int
    response_headers: Headers
    response_body: bytes  # as recorded, an `Unencoded` body; encoded when the journal is read
    duration_ms: float
    violations: Sequence[Violation] | None
    idempotent_replay: bool
    fault: dict[str, Any] | None
    truncated: bool
    size: int  # bytes of the two bodies kept


Raw = tuple[Any, ...]  # an Exchange's fields, as recorded


@dataclass(frozen=True, slots=True)
class Filters:
    """What `GET /_mock/requests` and `/count` select; None matches anything."""

    method: str | None = None
    path: str | None = None  # a literal path, or a template with {name} segments
    operation_id: str | None = None
    status: int | None = None
    request_id: str | None = None
    since: float | None = None  # received at or after, POSIX seconds

    def matcher(self) -> _Matcher:
        return _Matcher(self)


class _Matcher:
    def __init__(self, filters: Filters) -> None:
        self.filters = filters
        self.method = filters.method.upper() if filters.method else None
        path = filters.path
        self.template = _template_pattern(path) if path and "{" in path else None

    def __call__(self, entry: Exchange) -> bool:
        f = self.filters
        if self.method is not None and entry.method != self.method:
            return False
        if f.status is not None and entry.status != f.status:
            return False
        if f.operation_id is not None and entry.operation_id != f.operation_id:
            return False
        if f.request_id is not None and entry.request_id != f.request_id:
            return False
        if f.since is not None and entry.received_at < f.since:
            return False
        if f.path is not None and entry.path != f.path:
            if self.template is None:
                return False
            # the template the engine matched, when it matched one: a literal sibling such as
            # /batch-calls/stats is not a {batch_call_id}; else any one segment per {name}
            if entry.template is not None:
                return entry.template == f.path
            return self.template.fullmatch(entry.path) is not None
        return True


def _template_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^/{}]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


class Journal:
    """The last `size` exchanges of one world, oldest dropped first (and counted).

    Bodies are kept as the bytes that went over the wire, so a journal of large answers (a page
    of 50 batch calls is ~40 KB) is also bounded in bytes: past `max_bytes` of bodies, the oldest
    entries are dropped too."""

    def __init__(self, size: int = DEFAULT_SIZE, max_bytes: int = MAX_BYTES) -> None:
        if size < 0:
            raise ValueError("the journal size must be 0 or more")
        self.size = size
        self.max_bytes = max_bytes
        self.dropped = 0
        self.bytes = 0  # of the bodies kept
        self._entries: deque[Raw] = deque()

    def record(self, entry: Raw) -> None:
        """Keep `entry` (an Exchange's fields, in order)."""
        if not self.size:
            return
        entries = self._entries
        if len(entries) == self.size:  # full: the oldest goes (the usual case, so inline)
            self.bytes -= entries.popleft()[-1]
            self.dropped += 1
        entries.append(entry)
        self.bytes += entry[-1]
        if self.bytes > self.max_bytes:
            self._drop_oldest()

    def _drop_oldest(self) -> None:
        entries = self._entries
        while self.bytes > self.max_bytes and len(entries) > 1:
            self.bytes -= entries.popleft()[-1]
            self.dropped += 1

    def clear(self) -> None:
        self._entries.clear()
        self.dropped = 0
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def select(self, filters: Filters) -> Iterator[Exchange]:
        """The matching entries, newest first."""
        matches = filters.matcher()
        entries = (_exchange(raw) for raw in reversed(self._entries))
        return (entry for entry in entries if matches(entry))

    def count(self, filters: Filters) -> int:
        return sum(1 for _ in self.select(filters))

    def page(self, filters: Filters, limit: int, offset: int = 0) -> tuple[list[Exchange], int]:
        """One page of matching entries, newest first, and how many match in all."""
        page: list[Exchange] = []
        total = 0
        for entry in self.select(filters):
            if offset <= total < offset + limit:
                page.append(entry)
            total += 1
        return page, total


def _exchange(raw: Raw) -> Exchange:
    entry = Exchange._make(raw)
    if isinstance(entry.response_body, Unencoded):
        return entry._replace(response_body=body_bytes(entry.response_body))
    return entry


# reading: what the entries look like on the wire ------------------------------------------------
def entry_json(entry: Exchange) -> dict[str, Any]:
    """The documented JournalEntry: headers decoded and redacted, bodies parsed when they are JSON."""
    return {
        "request_id": entry.request_id,
        "received_at": timestamp(entry.received_at),
        "simulated_at": timestamp(entry.simulated_at),
        "workspace_id": entry.workspace_id,
        "method": entry.method,
        "path": entry.path,
        "query": entry.query.decode("latin-1"),
        "operation_id": entry.operation_id,
        "request_headers": headers_json(entry.request_headers),
        "request_body": body_json(entry.request_body),
        "status": entry.status,
        "response_headers": headers_json(entry.response_headers),
        "response_body": body_json(entry.response_body),
        "duration_ms": round(entry.duration_ms, 3),
        "validation_errors": None if entry.violations is None else [
            {"loc": list(v.loc), "msg": v.msg, "type": v.type} for v in entry.violations
        ],
        "idempotent_replay": entry.idempotent_replay,
        "fault": entry.fault,
        "truncated": entry.truncated,
    }


def headers_json(headers: Headers) -> dict[str, str]:
    """Lower-case names; repeated headers joined with ", " as HTTP allows; credentials redacted."""
    found: dict[str, str] = {}
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if name in REDACTED_HEADERS:
            value = redact(value)
        found[name] = f"{found[name]}, {value}" if name in found else value
    return found


def redact(value: str) -> str:
    """`Bearer sk_test_0a1b2c3d` → `Bearer …2c3d`: the scheme, if any, and the last 4 characters."""
    parts = value.split()
    scheme, secret = (parts[0] if len(parts) > 1 else ""), (parts[-1] if parts else "")
    shown = secret[-_KEPT_CHARACTERS:] if len(secret) >= _SHORTEST_SHOWN else ""
    return f"{scheme} …{shown}" if scheme else f"…{shown}"


def body_json(raw: bytes) -> Any:
    """JSON when the bytes parse as JSON, else text (invalid UTF-8 replaced); None when empty."""
    if not raw:
        return None
    try:
        return _redact_fields(orjson.loads(raw))
    except orjson.JSONDecodeError:
        return raw.decode("utf-8", errors="replace")


def _redact_fields(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: redact(item) if key in REDACTED_FIELDS and isinstance(item, str) else _redact_fields(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_redact_fields(item) for item in value]
    return value
