"""A transport whose writes leave together, once the event loop has run what was ready: one system
call a connection.

uvicorn writes an answer as it gets its two ASGI messages: the status line and headers, then the
body, each with its own `transport.write`, and uvloop sends each at once: two `send` calls an
answer, each waking the client. Here a connection's writes are held until a callback queued with
the first of them runs, and leave then in one vectored write (no copy). Under uvloop that callback
runs on the loop's next iteration: after the callbacks that were ready (other requests' steps), the
next poll for I/O (the reads of every connection, parsed as they come) and the timers then due.
That is the longest any byte waits (an answer whose body comes later, a stream, a `100 Continue`):
for one client alone, one more iteration of the loop than a write at once (about 15 µs here).

Since every connection's writes wait so, the answers made in one iteration leave one after another
at the start of the next, rather than each as it is made: a client reading many connections (a
load balancer, a proxy, a load test) is woken once for the lot instead of once an answer, and finds
them all ready. Waking a sleeping client is the kernel's work, paid by the writer: 4 to 10 µs of
system time an answer on the 2-core machine (docs/performance.md, "Answers that leave at the end of
the turn"). A connection holding `FLUSH_BYTES` writes them at once, so that the transport's flow
control (pausing a writer whose client does not keep up) sees a large answer as it is made.

Everything that ends or inspects the connection through the wrapper sees the held bytes first. The
transport may also close under it: uvloop closes it once the client's end of input (a half-close)
has been read, unless the protocol keeps it open, so `contracts/bounded_heads.py` flushes the
wrapper when it is told of that end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

# what a connection holds before writing it out within the turn: over any page of the APIs' lists
# (100 batch calls: about 70 KB), four times a transport's high-water mark (64 KiB, past which it
# pauses its writer)
FLUSH_BYTES = 256 * 1024


class CoalescedWrites:
    """Wraps a connection's transport; the protocol writes through it (see the module's doc)."""

    __slots__ = ("_transport", "_loop", "_held", "_held_bytes")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] | None = None
        self._held_bytes = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._transport.is_closing():  # (see `writelines`)
            self._held = None
            return
        if not data:
            return
        chunk = bytes(data)  # the caller may reuse a buffer it handed over (a `bytes` is not copied)
        held = self._held
        if held is None:
            self._held = [chunk]
            self._held_bytes = len(chunk)
            self._loop.call_soon(self.flush)
        else:
            held.append(chunk)
            self._held_bytes += len(chunk)
        if self._held_bytes >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        held = self._held
        if held is not None:
            self._held = None
            if not self._transport.is_closing():
                if len(held) == 1:
                    self._transport.write(held[0])
                else:
                    self._transport.writelines(held)

    def writelines(self, chunks: Iterable[bytes | bytearray | memoryview]) -> None:
        """Nothing is written to a connection that is closing: uvloop raises for a closed one, and
        uvicorn, which marks only the last request it parsed as disconnected, went on answering a
        pipelined request once its client was dropped (a traceback per dropped connection)."""
        if self._transport.is_closing():
            self._held = None
            return
        self.flush()
        self._transport.writelines(chunks)

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + (self._held_bytes if self._held is not None else 0)

    def __getattr__(self, name: str) -> Any:  # is_closing, get_extra_info, pause_reading, …
        return getattr(self._transport, name)
