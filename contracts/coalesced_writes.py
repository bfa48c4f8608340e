"""A transport whose writes in one turn of the event loop leave as one system call.

uvicorn writes an answer as it gets its two ASGI messages: the status line and headers, then the
body, each with its own `transport.write`, and uvloop sends each at once: two `send` calls an
answer, each waking the client. Here the first write is held until the next one, which leaves with
it in one vectored write (no copy), or until the end of the current turn of the event loop, so no
byte waits longer than that (an answer whose body comes later, a stream, a `100 Continue`).
Everything that ends or inspects the connection sees the held bytes first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any


class CoalescedWrites:
    """Wraps a connection's transport; the protocol writes through it (see the module's doc)."""

    __slots__ = ("_transport", "_loop", "_held")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._transport.is_closing():  # (see `writelines`)
            self._held = None
            return
        held = self._held
        if held is None:
            if data:
                self._held = bytes(data)  # the caller may reuse a buffer it handed over
                self._loop.call_soon(self.flush)
        else:
            self._held = None
            self._transport.writelines((held, data))

    def flush(self) -> None:
        held = self._held
        if held is not None:
            self._held = None
            if not self._transport.is_closing():
                self._transport.write(held)

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
        return self._transport.get_write_buffer_size() + len(self._held or b"")

    def __getattr__(self, name: str) -> Any:  # is_closing, get_extra_info, pause_reading, …
        return getattr(self._transport, name)
