"""uvicorn's HTTP protocol with bounds on every request head, for the sandbox and the proxy.

uvicorn's httptools protocol bounds neither the size of a request head nor the time it takes:
- a connection that opens and sends its head slowly, or never, is held for good, and enough of them
  exhaust a server's connections (the proxy's bound then answers 503 to everyone);
- the request target and the header fields are kept whole however large (and the target is
  gathered by concatenation, a cost that grows with the square of its size).
Here a head must be complete within `seconds` of the moment the server begins to wait for it (the
connection opened, or the previous answer ended), or the connection is closed without an answer;
and past `max_bytes` of request target and header fields it is answered a bare 431 and closed,
before it is read on. (Under that size the sandbox answers its own documented 431 for heads over
its header limits, `mock_server/engine/header_limits.py`.) A request whose head arrived is not
timed here, but for its body when `body_seconds` is given (`serve`: three times the head's
deadline), and, with `answer_seconds` (`serve`: the same), a client that stops taking its answers
(MIN_TAKEN bytes each `answer_seconds` while they wait for it).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import struct
import termios

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from contracts.coalesced_writes import CoalescedWrites

TIMER_GRAIN = 0.001  # seconds: uvloop's timers and clock count whole milliseconds
# bytes a client whose answers wait for it (the writes paused) takes each `answer_seconds`, or it
# loses the connection: about 2 KB/s at serve's 30 s, far under any real client's pace
MIN_TAKEN = 64 * 1024
MAX_HEAD_BYTES = 1024 * 1024  # request target, names and values: far over any limit an app answers
TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\ncontent-length: 40\r\n\r\nthe request head is larger than 1 MiB.\n\n"
)


def untaken(transport: asyncio.BaseTransport) -> int:
    """Bytes written to the connection that its client has not taken yet: the transport's buffer,
    and what the kernel holds unacknowledged (Linux's SIOCOUTQ; elsewhere the buffer alone)."""
    left = transport.get_write_buffer_size()  # type: ignore[attr-defined]
    sock = transport.get_extra_info("socket")
    if sock is not None and hasattr(termios, "TIOCOUTQ"):
        with contextlib.suppress(OSError, ValueError):
            left += struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0"))[0]
    return int(left)


def bounded_heads(
    seconds: float, max_bytes: int = MAX_HEAD_BYTES, body_seconds: float | None = None,
    answer_seconds: float | None = None,
) -> type[HttpToolsProtocol]:
    """The httptools protocol (uvicorn's, with uvicorn[standard]) with its request heads bounded:
    complete within `seconds`, at most `max_bytes` of target and fields; with `body_seconds`,
    each request's body complete within that long after its head (else the connection is closed:
    a body sent a byte at a time held its connection for good); and with `answer_seconds`, a client
    whose answers wait for it (the connection's buffer full: the writes pause) takes MIN_TAKEN bytes
    of them within that long, and as much in each such period until the writes go on, else the
    connection is dropped with what was not taken (a client that pipelined requests and read none
    of their answers held its connection, and the request being answered, for good)."""

    class BoundedHeadsProtocol(HttpToolsProtocol):
        # The deadlines are times of the loop's clock; one timer per connection watches them. A
        # request moves them without touching the timer (a timer set and cancelled twice a request
        # was 3.6 µs, a tenth of a GET): when it fires, it closes the connection if a deadline
        # passed, else it is set again for the nearest one.
        _head_deadline: float | None = None  # waiting for a head, to be complete by then
        _body_deadline: float | None = None  # waiting for a body, to be complete by then
        _taken_deadline: float | None = None  # the writes paused: the client takes MIN_TAKEN by then
        _untaken = 0  # bytes the client had not taken when that deadline was set
        _timer: asyncio.TimerHandle | None = None
        _timer_at = 0.0
        _writes: CoalescedWrites
        _head_bytes = 0
        _refused = False  # a head went past max_bytes: nothing more of this connection is run

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            # a connection's writes of a turn in one system call: contracts/coalesced_writes.py
            self._writes = CoalescedWrites(transport, self.loop)
            super().connection_made(self._writes)  # type: ignore[arg-type]
            self._wait_for_head()

        def eof_received(self) -> None:
            # the client sent all it will (a half-close): the transport closes once this returns
            # (uvicorn's returns None), under the wrapper, which would then drop the answers it
            # holds; they are written first
            self._writes.flush()
            super().eof_received()

        def on_message_begin(self) -> None:
            self._head_bytes = 0
            super().on_message_begin()

        def on_url(self, url: bytes) -> None:
            if self._within(len(url)):
                super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            if self._within(len(name) + len(value)):
                super().on_header(name, value)

        # httptools parses on to the end of what it was handed: once a head is refused, no callback
        # may start the request it began (a DELETE after its 431 ran, its last headers dropped)
        def on_headers_complete(self) -> None:
            self._head_deadline = None
            if not self._refused:
                super().on_headers_complete()
                if body_seconds is not None:
                    self._body_deadline = deadline = self.loop.time() + body_seconds
                    self._watch(deadline)

        def on_body(self, body: bytes) -> None:
            if not self._refused:
                super().on_body(body)

        def on_message_complete(self) -> None:
            self._body_deadline = None
            if not self._refused:
                super().on_message_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._wait_for_head()

        def pause_writing(self) -> None:
            super().pause_writing()
            if answer_seconds is not None and self._taken_deadline is None:
                self._untaken = untaken(self.transport)
                self._taken_deadline = deadline = self.loop.time() + answer_seconds
                self._watch(deadline)

        def resume_writing(self) -> None:
            self._taken_deadline = None
            super().resume_writing()

        def connection_lost(self, exc: Exception | None) -> None:
            self._head_deadline = self._body_deadline = self._taken_deadline = None
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            super().connection_lost(exc)

        def _within(self, size: int) -> bool:
            self._head_bytes += size
            if self._head_bytes <= max_bytes and not self._refused:
                return True
            self._refused = True
            if not self.transport.is_closing():
                self.transport.write(TOO_LARGE)
                self.transport.close()
            return False

        def _wait_for_head(self) -> None:
            self._head_deadline = deadline = self.loop.time() + seconds
            self._watch(deadline)

        def _watch(self, deadline: float) -> None:
            """The timer fires by `deadline` (it may fire earlier, for a deadline since moved)."""
            if self._timer is not None:
                if self._timer_at <= deadline:
                    return
                self._timer.cancel()
            self._timer_at = deadline
            self._timer = self.loop.call_at(deadline, self._expire)

        def _expire(self) -> None:
            self._timer = None
            now = self.loop.time()
            head, body = self._head_deadline, self._body_deadline
            if head is not None and self.cycle is not None and not self.cycle.response_complete:
                head = self._head_deadline = None  # a request is being answered: its head came
            # uvloop's timers run on a clock of whole milliseconds and may fire up to one early: a
            # deadline that near has passed (set again for the rest, the timer fired on every turn)
            now += TIMER_GRAIN
            taken = self._taken_deadline
            if taken is not None and taken <= now:
                left = untaken(self.transport)
                if self._untaken - left < MIN_TAKEN:  # what is buffered for the client goes too
                    self._head_deadline = self._body_deadline = self._taken_deadline = None
                    self.transport.abort()
                    return
                self._untaken = left  # it takes its answer: as long again for the next part
                assert answer_seconds is not None
                taken = self._taken_deadline = now + answer_seconds
            if (head is not None and head <= now) or (body is not None and body <= now):
                self._head_deadline = self._body_deadline = None
                if not self.transport.is_closing():
                    self.transport.close()  # (it waits for what is buffered: the answer's deadline holds)
                head = body = None
            pending = [deadline for deadline in (head, body, taken) if deadline is not None]
            if pending:
                self._watch(min(pending))

    return BoundedHeadsProtocol
