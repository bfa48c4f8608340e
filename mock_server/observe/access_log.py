r"""The access log: one line per request on stderr, as text or JSON lines.

    2026-12-01T03:12:00.123Z req_1f0c9e2a7b3d ws_0a5d6baa9455 POST /batch-call create_batch 201 0.42ms
    {"time":"2026-12-01T03:12:00.123Z","request_id":"req_…","workspace_id":"ws_…","method":"POST",…}

Fields a request does not have (no workspace named, no operation matched) are `-` in text and
null in JSON. Lines are written within 50 ms of the answer, independently of `--log-level`.

What comes from the client (the method and the path, decoded) cannot split or forge a line: in text,
everything but printable ASCII is escaped (a newline is written `\n`, a space `\x20`, `é` `\xe9`, a
backslash `\\`); in JSON, line separators and every other character that is not printable are
`\uXXXX` escapes (orjson escapes the control characters), so the value parses back as it was.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from typing import Literal, TextIO

import orjson

LogFormat = Literal["text", "json"]
FLUSH_SECONDS = 0.05  # how long a line may wait for others, to be written with them
MAX_PENDING = 512
_MILLIS = tuple(f"{n:03d}" for n in range(1000))
_STATUSES = tuple(str(n) for n in range(1000))
_DURATIONS_KEPT = 10_000  # formatted durations kept (0.00 to 99.99 ms, in practice)
# what a text line writes as sent: the methods of HTTP, and paths of printable ASCII but the space
# and the backslash (anything else is escaped: `_escaped`)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})


# time (wall clock), request id, workspace id, method, path, operation id, status, duration in ms
Fields = tuple[float, str, "str | None", str, str, "str | None", int, float]


class AccessLog:
    def __init__(self, fmt: LogFormat = "text", stream: Callable[[], TextIO] = lambda: sys.stderr) -> None:
        self.format = fmt
        # looked up per line: a test runner may swap sys.stderr after the app is built
        self.stream = stream
        self._pending: list[Fields] = []
        self._second = -1
        self._second_text = ""
        self._durations: dict[int, str] = {}  # hundredths of a ms -> their text

    def note(self, fields: Fields) -> None:
        """Log one request. Lines are formatted and written together, FLUSH_SECONDS after the first
        of them (or once MAX_PENDING wait): a write to stderr per request cost a GET ~10 % of its
        throughput."""
        pending = self._pending
        pending.append(fields)
        if len(pending) == 1:
            try:
                asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.flush)
            except RuntimeError:  # no event loop: write it now
                self.flush()
        elif len(pending) >= MAX_PENDING:
            self.flush()

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        if pending:
            stream = self.stream()
            line = self.line
            stream.write("\n".join([line(fields) for fields in pending]) + "\n")
            stream.flush()

    def line(self, fields: Fields) -> str:
        """The line of one request (without its newline). Formatting floats is most of a line's
        cost, so the time of day is formatted once a second, the milliseconds and the durations
        (in hundredths) are looked up."""
        at, request_id, workspace_id, method, path, operation_id, status, duration_ms = fields
        second = int(at)
        if second != self._second:
            self._second = second
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        millis = _MILLIS[int((at - second) * 1000)]
        if self.format == "json":
            line = orjson.dumps({
                "time": f"{self._second_text}.{millis}Z", "request_id": request_id,
                "workspace_id": workspace_id, "method": method, "path": path,
                "operation_id": operation_id, "status": status, "duration_ms": round(duration_ms, 3),
            }).decode()
            return line if line.isprintable() else "".join(map(_json_printable, line))
        hundredths = round(duration_ms * 100)
        duration = self._durations.get(hundredths)
        if duration is None:
            if len(self._durations) >= _DURATIONS_KEPT:
                self._durations.clear()
            duration = self._durations[hundredths] = f"{hundredths / 100:.2f}"
        if method not in _METHODS:
            method = _escaped(method)
        if not (path.isascii() and path.isprintable()) or " " in path or "\\" in path:
            path = _escaped(path)
        return (
            f"{self._second_text}.{millis}Z {request_id} {workspace_id or '-'} {method} {path} "
            f"{operation_id or '-'} {_STATUSES[status] if 0 <= status < 1000 else status} {duration}ms"
        )


def _escaped(sent: str) -> str:
    """What a client sent, as one field of a text line: printable ASCII as is, the rest escaped."""
    return sent.encode("unicode_escape").decode("ascii").replace(" ", "\\x20")


def _json_printable(character: str) -> str:
    """One character of a JSON line (orjson escaped the quotes and C0 controls already; what is left
    unprintable is inside a string, where a `\\u` escape stands for it)."""
    if character.isprintable():
        return character
    code = ord(character)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
