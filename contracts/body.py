"""A body read within bounds: what the kit and the proxy keep of an answer, and why they stopped.

A target decides how much it sends and how fast, and how it is compressed. `BoundedBody` is fed the
raw bytes as they arrive and keeps the decoded body up to `limit` bytes: it stops at `limit` raw
bytes, at `limit` decoded bytes (a gzip bomb inflates at most that far, however small it is), at
the deadline (a stream that never ends), at a Content-Encoding it cannot decode, and at data that
is not what the Content-Encoding says. `cut` then says why, in a sentence. Pure: no I/O.
"""

from __future__ import annotations

import time
import zlib
from enum import StrEnum

MAX_ANSWER = 8 * 1024 * 1024  # bytes of one answer the kit reads (raw and decoded); the API's are KiBs
ACCEPT_ENCODING = "gzip, deflate"  # what the kit asks for: the codings BoundedBody decodes
PREVIEW_OF_CUT = 64 * 1024  # what is kept of an answer cut for its size or its time: enough to show, not MiBs
CUT_ATTRIBUTE = "contract_kit_cut"  # set on a Schemathesis request whose answer was cut (fuzz → checks)


class Cut(StrEnum):
    TOO_LARGE = "too_large"
    TOO_SLOW = "too_slow"
    UNSUPPORTED = "unsupported_encoding"  # e.g. br: no Brotli library is installed
    BROKEN = "broken_encoding"  # not valid gzip/deflate


class _Inflater:
    """One gzip or deflate layer; deflate is the zlib format, or raw deflate as some servers send it."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self.started = False
        self.inflater = zlib.decompressobj(zlib.MAX_WBITS | 16 if coding == "gzip" else zlib.MAX_WBITS)

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if not self.started and data:
            self.started = True
            if self.coding == "deflate" and (data[0] & 0x0F != 8 or int.from_bytes(data[:2]) % 31):
                self.inflater = zlib.decompressobj(-zlib.MAX_WBITS)  # no zlib header: raw deflate
        return self.inflater.decompress(data, max_length)

    @property
    def overflowed(self) -> bool:
        return bool(self.inflater.unconsumed_tail)

    @property
    def complete(self) -> bool:
        return self.inflater.eof or not self.started


CODINGS = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate"}


class BoundedBody:
    def __init__(
        self, content_encoding: str, limit: int, timeout: float | None = None, started: float | None = None
    ) -> None:
        """`timeout`: seconds for the whole answer, counted from `started` (a `time.monotonic()`
        instant; default now), or None for no time bound."""
        self.limit = limit
        self.timeout = timeout
        self.deadline = None if timeout is None else (started or time.monotonic()) + timeout
        self.raw_size = 0
        self.parts: list[bytes] = []
        self.size = 0
        self.cut: Cut | None = None
        self.reason = ""  # the sentence saying why it was cut
        self.encoding = content_encoding.strip()
        codings = [c.strip().lower() for c in self.encoding.split(",") if c.strip()]
        self.layers: list[_Inflater] = []
        for coding in reversed([c for c in codings if c != "identity"]):  # the last applied comes off first
            if coding not in CODINGS:
                self._stop(Cut.UNSUPPORTED, f"the body is encoded with {coding!r}, which is not decoded here")
                break
            self.layers.append(_Inflater(CODINGS[coding]))

    def _stop(self, kind: Cut, reason: str) -> bool:
        if self.cut is None:
            self.cut, self.reason = kind, reason
        return False

    def feed(self, raw: bytes) -> bool:
        """Take the next raw bytes; False: stop reading (the body is cut, `reason` says why)."""
        if self.cut is not None:
            return False
        self.raw_size += len(raw)
        if self.raw_size > self.limit:
            return self._stop(Cut.TOO_LARGE, f"the answer is larger than {self.limit} bytes (not read on)")
        data = raw
        for layer in self.layers:
            try:
                data = layer.decompress(data, self.limit - self.size + 1)
            except zlib.error as exc:
                reason = f"the body is not valid {layer.coding} (Content-Encoding: {self.encoding}): {exc}"
                return self._stop(Cut.BROKEN, reason)
            if layer.overflowed:
                return self._stop(Cut.TOO_LARGE, f"the answer decodes to more than {self.limit} bytes")
        self.size += len(data)
        if self.size > self.limit:
            return self._stop(Cut.TOO_LARGE, f"the answer decodes to more than {self.limit} bytes")
        self.parts.append(data)
        if self.deadline is not None and time.monotonic() > self.deadline:
            return self.too_slow()
        return True

    def too_slow(self) -> bool:
        """Stop: the deadline passed (or a read waited past it)."""
        return self._stop(Cut.TOO_SLOW, f"the answer did not end within {self.timeout:g} s (not read on)")

    def finish(self) -> bytes:
        """The decoded body; of one cut for its size or its time, its first PREVIEW_OF_CUT bytes. Call once,
        when the raw body has ended."""
        if self.cut is None and not all(layer.complete for layer in self.layers):
            self._stop(Cut.BROKEN, f"the body ends in the middle of its {self.encoding} stream")
        parts, self.parts = self.parts, []  # read once: nothing of the answer stays here
        if self.cut in (Cut.TOO_LARGE, Cut.TOO_SLOW):  # a finding already: a preview is all anyone reads
            return _prefix(parts, PREVIEW_OF_CUT)
        return b"".join(parts)


def _prefix(parts: list[bytes], size: int) -> bytes:
    kept: list[bytes] = []
    for part in parts:
        if size <= 0:
            break
        kept.append(part[:size])
        size -= len(kept[-1])
    return b"".join(kept)
