"""One HTTP request as the pipeline reads it, parsed once from the ASGI scope.

Starlette's `Request` builds a URL object and re-scans the raw header list on every lookup; on the
sandbox's hot path a request is read through plain dicts instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl


class Disconnected(Exception):
    """The client went away before its body arrived: there is nobody to answer."""


@dataclass(slots=True)
class Incoming:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names; the first of repeated headers wins
    query: dict[str, str]  # the last of repeated parameters wins, as in Starlette's QueryParams
    path_params: dict[str, str]
    receive: Any

    @classmethod
    def from_scope(cls, scope: Any, receive: Any) -> Incoming:
        headers = {
            name.decode("latin-1"): value.decode("latin-1") for name, value in reversed(scope["headers"])
        }
        raw_query = scope.get("query_string", b"")
        query = dict(parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True)) if raw_query else {}
        return cls(scope["method"], scope["path"], headers, query, scope.get("path_params", {}), receive)

    async def body(self, limit: int) -> bytes | None:
        """The whole body, or None as soon as it grows past `limit` bytes."""
        chunks = bytearray()
        while True:
            message = await self.receive()
            if message["type"] != "http.request":
                raise Disconnected
            chunks.extend(message.get("body", b""))
            if len(chunks) > limit:
                return None
            if not message.get("more_body", False):
                return bytes(chunks)
