"""A lean HTTP/1.1 client over asyncio streams, for the load generators of the benchmarks.

It sends exactly the headers it is given (the noisy tenant's heads must land just under the
sandbox's 431 limit, which a full client's own headers would push over) and costs little CPU per
request (the quiet tenant's latencies are measured on the same machine). Keep-alive connections,
`Content-Length` or chunked answers; nothing else of HTTP is needed here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

Header = tuple[str, str]


class Connection:
    """One keep-alive connection to `host:port`, opened on first use and again after a close."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, target: str, headers: Sequence[Header] = (),
                      body: bytes = b"") -> tuple[int, bytes]:
        """(status, body) of one exchange. A connection the server closed is opened again once."""
        for attempt in (0, 1):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=2**20)
            try:
                return await self._exchange(method, target, headers, body)
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _exchange(self, method: str, target: str, headers: Sequence[Header],
                        body: bytes) -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        head = [f"{method} {target} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        head += [f"{name}: {value}" for name, value in headers]
        if body or method in ("POST", "PUT", "PATCH"):
            head.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        length, chunked, closing = 0, False, False
        while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                closing = b"close" in value.lower()
        if chunked:
            parts = []
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                parts.append(await self.reader.readexactly(size + 2))
            await self.reader.readuntil(b"\r\n")
            answer = b"".join(part[:-2] for part in parts)
        else:
            answer = await self.reader.readexactly(length)
        if closing:
            self.close()
        return status, answer

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None
