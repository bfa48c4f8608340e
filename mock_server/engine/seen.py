"""What the engine saw of one request and its answer, for the observers outside it.

`Front` puts a `Seen` in every HTTP request's `scope["state"][SEEN]`; whoever answers fills it in:
the pipeline (the operation, the world, the violations answered, an idempotent replay, the fault
that fired, the bytes it sent) or `Front` itself for what Starlette answers (the control API, 404,
405). The request journal and the access log (`mock_server.observe`) read it once the answer is
out. Noting what was sent where it is sent costs a few attribute stores; wrapping every `send` and
`receive` in one more coroutine cost the sandbox a tenth of its throughput.
"""

from __future__ import annotations

from typing import Any

import orjson

from mock_server.core.errors import Violation
from mock_server.engine.context import Tenant

SEEN = "seen"  # the key of a request's `Seen` in its scope's state
# A request marked so in its scope's state is not one a client sent (the state file's replay at
# start-up): the request journal and the access log leave it out.
UNRECORDED = "unrecorded"
# A request marked so carries an `Origin` that is not the sandbox's own (`engine/guard.py`): a page of
# another site may have sent it unasked, so it belongs to no world its credentials do not name (it
# is never journaled in the default world for want of credentials).
CROSS_SITE = "cross_site"
NO_ANSWER = 499  # the client went away before an answer started (nginx's "client closed request")
BODY_LIMIT = 64 * 1024  # bytes of each body the journal keeps; longer ones are cut (`truncated`)


class Unencoded:
    """An answer's body kept as the JSON value it was encoded from, which gives the same bytes when
    encoded again. Kept instead of the bytes for answers built of cached encoded JSON (reads of
    batch calls): a journal holding a fresh 40 KB page per list request made the list a third
    slower (cold memory on every request); the value is a few hundred bytes of references."""

    __slots__ = ("value", "size")

    def __init__(self, value: Any, size: int) -> None:
        self.value = value
        self.size = size  # of the bytes it stands for

    def encoded(self) -> bytes:
        return orjson.dumps(self.value)

    def __reduce__(self) -> tuple[type[bytes], tuple[bytes]]:
        """Pickled as the bytes it stands for (the shared request journal of `--store`)."""
        return bytes, (self.encoded(),)


def body_bytes(body: bytes | Unencoded) -> bytes:
    return body if isinstance(body, bytes) else body.encoded()


class Seen:
    """One request's notes. Its fields are class-level defaults that a request overrides as it goes:
    a new `Seen` sets nothing (a dataclass's `__init__` set all twelve on every request)."""

    operation_id: str | None = None  # None: no operation of a served spec matched
    template: str | None = None  # the full path template the operation is served at
    world: Tenant | None = None  # as far as the pipeline got: named by credentials, then authenticated
    authenticated: bool = False  # `world` is the authenticated one
    simulated_at: float | None = None  # the world's instant the request was handled at
    violations: list[Violation] | None = None  # what the request got wrong, as answered
    idempotent_replay: bool = False
    fault: dict[str, Any] | None = None  # the fault rule that fired, as listed by GET /_mock/faults
    request_body: bytes = b""  # as read by whoever read it (a GET's body is never read)
    status: int = NO_ANSWER
    response_headers: list[tuple[bytes, bytes]] | None = None
    # the whole answer (a reference, not a copy): the journal redacts a long one before cutting it
    response_body: bytes | Unencoded = b""
    header_bytes: int = 0  # of the request's header names and values, as `Front` counted them
    headers_refused: bool = False  # answered 431 before anything else: its headers are not kept

    def keep_request_chunk(self, chunk: bytes) -> None:
        if chunk and len(self.request_body) <= BODY_LIMIT:
            self.request_body += chunk

    def keep_message(self, message: Any) -> None:
        """Note an ASGI answer message as it is sent (what Starlette answers: the sandbox's own
        pages and documents, whose size the sandbox decides)."""
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.response_headers = message.get("headers", [])
        else:
            chunk = message.get("body", b"")
            if chunk:
                kept = self.response_body
                self.response_body = body_bytes(kept) + chunk if kept else chunk
