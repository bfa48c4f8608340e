"""One HTTP request as the pipeline reads it, parsed once from the ASGI scope.

Starlette's `Request` builds a URL object and re-scans the raw header list on every lookup; on the
sandbox's hot path a request is read through plain dicts instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from mock_server.core.errors import PayloadTooLarge

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def changes_state(method: str) -> bool:
    """The one rule of what counts as a write: every method but GET, HEAD and OPTIONS. It decides
    what bumps a world's state version and what the state file journals."""
    return method not in SAFE_METHODS


class Disconnected(Exception):
    """The client went away before its body arrived: there is nobody to answer."""


def query_of(raw: bytes) -> dict[str, str]:
    """The query's parameters, percent-decoded; the last of repeated ones wins, as in Starlette's
    QueryParams. The one reading of a query: whoever must agree with the engine reads it here."""
    return dict(parse_qsl(raw.decode("latin-1"), keep_blank_values=True)) if raw else {}


@dataclass(slots=True)
class Incoming:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names; the first of repeated headers wins
    query: dict[str, str]  # the last of repeated parameters wins, as in Starlette's QueryParams
    path_params: dict[str, str]
    receive: Any
    raw: bytes | None = None  # the body, once read

    @classmethod
    def from_scope(cls, scope: Any, receive: Any) -> Incoming:
        headers = {
            name.decode("latin-1"): value.decode("latin-1") for name, value in reversed(scope["headers"])
        }
        query = query_of(scope.get("query_string", b""))
        return cls(scope["method"], scope["path"], headers, query, scope.get("path_params", {}), receive)

    async def body(self, limit: int) -> bytes:
        """The whole body; the documented 413 when it declares or grows past `limit` bytes."""
        declared = self.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(
                f"request body of {declared} bytes is over the limit of {limit} bytes", {"limit_bytes": limit}
            )
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await self.receive()
            if message["type"] != "http.request":
                raise Disconnected
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(
                    f"request body is over the limit of {limit} bytes", {"limit_bytes": limit}
                )
            chunks.append(chunk)
            if not message.get("more_body", False):
                self.raw = chunks[0] if len(chunks) == 1 else b"".join(chunks)  # usually one: no copy
                return self.raw
