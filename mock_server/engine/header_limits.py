"""How large a request's headers may be: refused with 431 before any other work.

At most `MAX_HEADER_FIELDS` header fields, and at most `MAX_HEADER_BYTES` bytes of names and values
together (the request line and the `: ` and line ends between them are not counted). A larger request
is answered 431 `request_headers_too_large` in the envelope of the dialect its path falls under, and
is kept in no journal (the access log has its line). Every other bound of the sandbox (the request
journal's bytes, the state file's rows) can then count on headers this size at most.

uvicorn's httptools protocol limits no head: `serve` runs it with contracts/bounded_heads.py, which
closes a head over 1 MiB with a bare 431 before reading on; under that, this 431 is what a client meets.
"""

from __future__ import annotations

from collections.abc import Sequence

from mock_server.core.errors import HeadersTooLarge

MAX_HEADER_FIELDS = 100  # as Apache's LimitRequestFields
MAX_HEADER_BYTES = 32 * 1024  # names and values together


def header_bytes(headers: Sequence[tuple[bytes, bytes]]) -> int:
    """Bytes of the header names and values."""
    size = 0
    for name, value in headers:  # a plain loop: twice as fast as sum() over a generator
        size += len(name) + len(value)
    return size


def refusal(headers: Sequence[tuple[bytes, bytes]]) -> HeadersTooLarge | None:
    """The 431 a request with these headers meets, or None: for the layers ahead of `Front`, which
    hand such a request straight to it (it changed nothing, so there is nothing to record)."""
    return too_large(len(headers), header_bytes(headers))


def too_large(count: int, size: int) -> HeadersTooLarge | None:
    """The 431 of a request with `count` header fields of `size` bytes, or None when they fit."""
    if count > MAX_HEADER_FIELDS:
        return HeadersTooLarge(
            f"the request has {count} header fields; at most {MAX_HEADER_FIELDS} are accepted",
            {"limit_fields": MAX_HEADER_FIELDS, "limit_bytes": MAX_HEADER_BYTES},
        )
    if size > MAX_HEADER_BYTES:
        return HeadersTooLarge(
            f"the request's headers hold {size} bytes; at most {MAX_HEADER_BYTES} are accepted",
            {"limit_fields": MAX_HEADER_FIELDS, "limit_bytes": MAX_HEADER_BYTES},
        )
    return None
