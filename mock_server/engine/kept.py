"""Bytes that are kept for later, at their exact size.

orjson hands back its whole write buffer: the bytes of a 700-byte JSON hold 4 to 16 KiB of memory.
That is harmless for an answer sent and dropped, but everything the sandbox stores (idempotent
answers, cached renderings, webhook bodies) is copied to its exact size first: storing the buffers
grew the process by about 10 KiB per created batch, and the fresh pages cost a page fault each.
"""

from __future__ import annotations

from typing import Any

import orjson


def exact(raw: bytes) -> bytes:
    """A copy of `raw` that owns no more memory than its length."""
    return memoryview(raw).tobytes()


def json_to_keep(value: Any) -> bytes:
    return exact(orjson.dumps(value))
