"""The request journal of one world: its last requests and their answers, bounded, filterable.

Recording must cost next to nothing on the hot path, so an `Exchange` keeps what the recorder saw
as it was (raw header lists, body bytes, violations as objects) and nothing is decoded, parsed or
redacted until someone reads the journal (`entry_json`), with one exception: a body over 64 KiB is
redacted before it is cut (`cut`), since a cut body no longer parses and could not be redacted later.

It is also the one record of what a world answered: a readiness session grades from it
(`positions`, `since`), so what it holds is bounded once, here, and redacted once, by `redaction`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, NamedTuple

import orjson
from mypy_extensions import mypyc_attr

from contracts.redaction import redact, redact_query, redacted
from mock_server.core.errors import Violation
from mock_server.core.timefmt import timestamp
from mock_server.engine.router import PathTable
from mock_server.engine.seen import BODY_LIMIT, Unencoded

__all__ = ["BODY_LIMIT", "Exchange", "Filters", "Journal", "body_json", "cut", "entry_json", "redact"]

DEFAULT_SIZE = 10_000
# Everything one world's journal holds, in bytes, as `Recorder` counts an entry: its path, query,
# header names and values, bodies (each at most 64 KiB), violations and fault, plus the Python objects
# that hold them (ENTRY_OVERHEAD an entry, FIELD_OVERHEAD a header).
MAX_BYTES = 64 * 1024 * 1024
ENTRY_OVERHEAD = 512
FIELD_OVERHEAD = 128

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
    response_body: bytes | Unencoded  # an `Unencoded` body is encoded (and cut) when read
    duration_ms: float
    violations: Sequence[Violation] | None
    idempotent_replay: bool
    fault: dict[str, Any] | None
    truncated: bool
    authenticated: bool = False  # the pipeline authenticated its world (an operation was handled)
    size: int = 0  # bytes it holds, as counted against MAX_BYTES


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
        # A template is matched as the router matches one, segment by segment: linear in the path
        # (a regex of `[^/]+` per {name} backtracked exponentially on a path that did not match)
        self.template = PathTable("", {path: True}) if path and "{" in path else None

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
            return self.template.lookup(entry.path) is not None
        return True


@mypyc_attr(allow_interpreted_subclasses=True)  # a cluster's SharedJournal (compiled: mock_server/native.py)
class Journal:
    """The last `size` exchanges of one world, oldest dropped first (and counted), holding at most
    `max_bytes` (as the recorder counts each entry; past it the oldest are dropped too).

    Entries have positions: the n-th entry ever recorded is at position n, cleared or dropped or not,
    so a reader (a readiness session) can ask for what came after a position and learn how many of
    those the journal no longer holds."""

    def __init__(self, size: int = DEFAULT_SIZE, max_bytes: int = MAX_BYTES) -> None:
        if size < 0:
            raise ValueError("the journal size must be 0 or more")
        self.size = size
        self.max_bytes = max_bytes
        self.dropped = 0
        self.bytes = 0  # of the entries kept
        self._cleared = 0  # entries gone before the last clear, dropped or cleared
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
        self._cleared = self.end
        self._entries.clear()
        self.dropped = 0
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def first(self) -> int:
        """The position of the oldest entry kept (those before it are gone): counted from what was
        dropped, so that recording pays for no counter of its own."""
        return self._cleared + self.dropped

    @property
    def end(self) -> int:
        """The position the next entry will have."""
        return self.first + len(self._entries)

    def since(self, position: int) -> tuple[list[Exchange], int]:
        """The entries from `position` on, oldest first, and how many of those are gone. Read from
        the newest end: the cost is the entries returned, however long the journal."""
        first = self.first
        wanted = len(self._entries) - (max(position, first) - first)
        newest_first = [Exchange._make(raw) for raw in islice(reversed(self._entries), max(0, wanted))]
        newest_first.reverse()
        return newest_first, max(0, first - position)

    def select(self, filters: Filters) -> Iterator[Exchange]:
        """The matching entries, newest first (bodies as recorded: `entry_json` reads them), as they
        were when asked: the control API reads them in turns while requests are recorded."""
        matches = filters.matcher()
        entries = (Exchange._make(raw) for raw in reversed(self._entries.copy()))
        return (entry for entry in entries if matches(entry))



def cut(body: bytes) -> bytes:
    """A body over 64 KiB as the journal keeps it: redacted first, then cut. A JSON body keeps its
    first 64 KiB (of its redacted encoding, when it held credentials); a body that does not parse
    cannot be redacted, so none of it is kept: a note says what it was instead."""
    try:
        value = orjson.loads(body)
        shown = redacted(value)
    except (orjson.JSONDecodeError, RecursionError):
        return (f"(not kept: {len(body)} bytes, over the {BODY_LIMIT} bytes the journal keeps of a body, "
                "and not JSON, so its credentials could not be redacted)").encode()
    if shown is value:
        return body[:BODY_LIMIT]
    return orjson.dumps(shown)[:BODY_LIMIT]


# reading: what the entries look like on the wire ------------------------------------------------
def entry_json(
    entry: Exchange, hidden: frozenset[str], whole: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The documented JournalEntry: headers decoded (those named in `hidden` redacted: the
    credential headers of every API, `redaction.HTTP_CREDENTIALS` among them; those in `whole`
    hidden whole, not even their last characters shown), bodies parsed when they are JSON."""
    return {
        "request_id": entry.request_id,
        "received_at": timestamp(entry.received_at),
        "simulated_at": timestamp(entry.simulated_at),
        "workspace_id": entry.workspace_id,
        "method": entry.method,
        "path": entry.path,
        "query": redact_query(entry.query.decode("latin-1")),
        "operation_id": entry.operation_id,
        "request_headers": headers_json(entry.request_headers, hidden, whole),
        "request_body": body_json(entry.request_body),
        "status": entry.status,
        "response_headers": headers_json(entry.response_headers, hidden),
        "response_body": body_json(entry.response_body),
        "duration_ms": round(entry.duration_ms, 3),
        "validation_errors": None if entry.violations is None else [
            {"loc": list(v.loc), "msg": v.msg, "type": v.type} for v in entry.violations
        ],
        "idempotent_replay": entry.idempotent_replay,
        "fault": entry.fault,
        "truncated": entry.truncated,
    }


def headers_json(
    headers: Headers, hidden: frozenset[str], whole: frozenset[str] = frozenset()
) -> dict[str, str]:
    """Lower-case names; repeated headers joined with ", " as HTTP allows; those in `hidden` redacted,
    those in `whole` shown as `…`."""
    found: dict[str, str] = {}
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if name in whole:
            value = "…"
        elif name in hidden:
            value = redact(value)
        found[name] = f"{found[name]}, {value}" if name in found else value
    return found


def body_json(raw: bytes | Unencoded) -> Any:
    """JSON when the bytes parse as JSON (credential fields redacted), else text (invalid UTF-8
    replaced); None when empty. An answer kept unencoded is encoded here, and cut when over 64 KiB."""
    if isinstance(raw, Unencoded):
        raw = raw.encoded()
    if len(raw) > BODY_LIMIT:  # kept whole (an answer kept unencoded, or read back from --store)
        raw = cut(raw)
    if not raw:
        return None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw.decode("utf-8", errors="replace")
    try:
        return redacted(value)
    except RecursionError:  # JSON nested too deep to walk: its credentials cannot be hidden
        return f"(not shown: {len(raw)} bytes of JSON nested too deeply for its credentials to be redacted)"
