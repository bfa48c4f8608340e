r"""The access log: one line per request on stderr, as text or JSON lines.

    2026-12-01T03:12:00.123Z req_1f0c9e2a7b3d ws_0a5d6baa9455 POST /batch-call create_batch 201 0.42ms
    {"time":"2026-12-01T03:12:00.123Z","request_id":"req_…","workspace_id":"ws_…","method":"POST",…}

Fields a request does not have (no workspace named, no operation matched) are `-` in text and
null in JSON. Lines are written within 50 ms of the answer, independently of `--log-level`.

Off the request path: a request only appends its fields to a queue; a writer thread formats the
lines and writes them, together, about every 50 ms. A stream that does not keep up (a full pipe)
never blocks a request: the queue holds at most MAX_PENDING_BYTES (the client's text counted whole),
past that lines are dropped and counted (`dropped`), and the next write says how many. `close()`
writes every line queued before a clean exit. (That is `serve`'s log; an app embedded in a process,
`threaded=False`, writes each line as its request ends, where the test that sent it captures it.)

What comes from the client (the method and the path, decoded) cannot split or forge a line: in text,
everything but printable ASCII is escaped (a newline is written `\n`, a space `\x20`, `é` `\xe9`, a
backslash `\\`); in JSON, line separators and every other character that is not printable are
`\uXXXX` escapes (orjson escapes the control characters), so the value parses back as it was.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Literal, TextIO

import orjson

LogFormat = Literal["text", "json"]
FLUSH_SECONDS = 0.05  # how long a line may wait for others, to be written with them
IDLE_SECONDS = 1.0  # a writer with nothing to write this long ends (the next line starts another)
CLOSE_SECONDS = 5.0  # how long a clean exit waits for a stream that does not take the last lines
# What the queue may hold: a line's own fields (LINE_BYTES) plus the client's method and path
LINE_BYTES = 256
MAX_PENDING_BYTES = 16 * 1024 * 1024
_MILLIS = tuple(f"{n:03d}" for n in range(1000))
_STATUSES = tuple(str(n) for n in range(1000))
_DURATIONS_KEPT = 10_000  # formatted durations kept (0.00 to 99.99 ms, in practice)
# what a text line writes as sent: the methods of HTTP, and paths of printable ASCII but the space
# and the backslash (anything else is escaped: `_escaped`)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})


# time (wall clock), request id, workspace id, method, path, operation id, status, duration in ms
Fields = tuple[float, str, "str | None", str, str, "str | None", int, float]


class AccessLog:
    def __init__(self, fmt: LogFormat = "text", stream: Callable[[], TextIO] = lambda: sys.stderr,
                 max_pending_bytes: int = MAX_PENDING_BYTES, threaded: bool = True) -> None:
        """`threaded`: lines written by a writer thread; else each as its request ends."""
        self.format = fmt
        self.threaded = threaded
        # looked up per write: a test runner may swap sys.stderr after the app is built
        self.stream = stream
        self.max_pending_bytes = max_pending_bytes
        self.dropped = 0  # lines dropped because the stream did not keep up (counted by `note`)
        self.lost = 0  # lines a write failed to write (counted by the writer)
        self._second = -1
        self._second_text = ""
        self._durations: dict[int, str] = {}  # hundredths of a ms -> their text
        # Appended to by the event loop's thread, taken from by the writer (deque's append and
        # popleft are atomic). Each byte count is written by one thread only: queued by `note`,
        # taken by the writer, so what is pending is their difference without a lock per line.
        self._queue: deque[Fields] = deque()
        self._queued_bytes = 0
        self._taken_bytes = 0
        self._reported_dropped = 0
        self._closing = threading.Event()
        self._writer_lock = threading.Lock()  # whether a writer runs, decided under it
        self._writing = threading.Lock()  # one batch taken and written at a time
        self._writer: threading.Thread | None = None

    def note(self, fields: Fields) -> None:
        """Log one request: queue its fields (the writer thread formats and writes them). No signal
        to the writer: it looks every FLUSH_SECONDS (waking it whenever the queue had emptied cost,
        requests one at a time, more than formatting the line)."""
        size = LINE_BYTES + len(fields[3]) + len(fields[4])
        if self._queued_bytes + size - self._taken_bytes > self.max_pending_bytes:
            self.dropped += 1
            return
        self._queued_bytes += size
        self._queue.append(fields)
        if not self.threaded:
            self.flush()
            return
        if self._writer is None:  # (read after the append: see `_run`)
            with self._writer_lock:
                if self._writer is None:
                    self._writer = threading.Thread(target=self._run, name="access-log", daemon=True)
                    self._writer.start()

    def _run(self) -> None:
        queue = self._queue
        idle = 0.0
        while True:
            closing = self._closing.wait(FLUSH_SECONDS)  # lines gather, to be written together
            if queue or self.dropped != self._reported_dropped:
                self.flush()
                idle = 0.0
                continue
            idle += FLUSH_SECONDS
            if closing or idle >= IDLE_SECONDS:
                with self._writer_lock:
                    self._writer = None
                # a line queued after the look above whose `note` still saw this writer: carry on
                with self._writer_lock:
                    if not queue or self._writer is not None:
                        return
                    self._writer = threading.current_thread()

    def flush(self) -> None:
        """Format and write every line queued (the writer's work; `close` does it a last time)."""
        with self._writing:
            queue = self._queue
            taken = [queue.popleft() for _ in range(len(queue))]
            if not taken and self.dropped == self._reported_dropped:
                return
            self._taken_bytes += sum(LINE_BYTES + len(fields[3]) + len(fields[4]) for fields in taken)
            line = self.line
            lines = [line(fields) for fields in taken]
            dropped = self.dropped
            if dropped != self._reported_dropped:
                lines.append(self.dropped_line(dropped - self._reported_dropped))
                self._reported_dropped = dropped
            try:
                stream = self.stream()
                stream.write("\n".join(lines) + "\n")
                stream.flush()
            except (OSError, ValueError):  # a stream closed or gone (the process ending without
                self.lost += len(taken)  # `close`): counted, not a thread's traceback

    def close(self) -> None:
        """Write every line queued, before a clean exit (the writer ends)."""
        self._closing.set()
        writer = self._writer
        if writer is not None:
            writer.join(CLOSE_SECONDS)
            if writer.is_alive():  # stuck on a stream that takes nothing: the lines cannot go
                return
        self.flush()

    def dropped_line(self, count: int) -> str:
        """What the log says of lines it dropped: not a request's line (no request id)."""
        if self.format == "json":
            return orjson.dumps({"access_log_lines_dropped": count}).decode()
        return f"access log: {count} lines dropped (the stream did not keep up)"

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
