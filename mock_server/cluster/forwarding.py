"""A request that reached an instance which does not own its workspace, handed to the owner.

The owner must handle it exactly as if the client had sent it there: the request as the client sent
it (method, path and query as received, every header in order, the client's address) travels in one
header, `x-batchcalls-forwarded`, next to the instance secret, `x-batchcalls-instance`; the owner
puts them back in the ASGI scope before anything reads it, so the request journal, the replay and
the answer are those of one process. The owner's answer goes back byte for byte (status, headers,
body), but for what each hop adds itself (its `date`, the framing).

Only a request carrying the secret is trusted. Both headers are removed from every other request
before anything reads it: a client can neither forge a forwarded request nor see the secret.

A notice (`x-batchcalls-notice`, with the secret) is no request at all: an instance that reset
everything tells every other live instance so, and each answers 204 once its copy will be rebuilt
before it serves again (its owners' reads from memory stop at once).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hmac
from collections.abc import Callable
from typing import Any

import httpcore
import httpx
import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server.cluster.registry import BEATS_PER_LEASE, Registry

SECRET_HEADER = b"x-batchcalls-instance"
REQUEST_HEADER = b"x-batchcalls-forwarded"
NOTICE_HEADER = b"x-batchcalls-notice"
# on the answer to a forwarded request: the instance it was sent to does not hold the workspace's
# lease (it changed hands): `refused` (a write, not made: send it where the database says), or
# `served` (a read, answered from the log all the same); never passed on to the client
NOT_OWNER_HEADER = b"x-batchcalls-not-owner"
REFUSED, SERVED = b"refused", b"served"
_OURS = (SECRET_HEADER, REQUEST_HEADER, NOTICE_HEADER)
# each hop frames the body itself and adds its own date (the sandbox sends no `server` header)
_HOP_BY_HOP = frozenset({b"connection", b"keep-alive", b"transfer-encoding", b"date"})
CONNECT_SECONDS = 1.0  # an owner that does not accept the connection is taken for unreachable
ANSWER_SECONDS = 120.0  # longer than any wait a request may ask of the sandbox (a long read)
NOTICE_SECONDS = 2.0  # a peer that has not taken a notice by then is waited out (a lease)
RESET = b"reset"  # the one notice: everything was reset


class OwnerUnreachable(Exception):
    """The owner did not take the connection: nothing was sent, the request may be served here."""


class OwnerFailed(Exception):
    """The owner took the request and then failed to answer it whole."""


class NotOwner(Exception):
    """The instance the request was sent to no longer holds its workspace's lease, and made nothing
    of it: it may be sent again, where the database says."""


def marked_not_owner(send: Send, how: bytes) -> Send:
    """`send`, its answer marked as made by an instance not holding the workspace (`NOT_OWNER_HEADER`)."""

    async def marked(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), (NOT_OWNER_HEADER, how)]}
        await send(message)

    return marked


def packed(scope: Scope) -> bytes:
    """The request as this instance received it, as one header value (base64 of JSON)."""
    text = {
        "headers": [[name.decode("latin-1"), value.decode("latin-1")] for name, value in scope["headers"]],
        "path": scope["path"],
        "raw_path": None if scope.get("raw_path") is None else scope["raw_path"].decode("latin-1"),
        "query": scope.get("query_string", b"").decode("latin-1"),
        "client": scope.get("client"),
    }
    return base64.b64encode(orjson.dumps(text))


def _trusted(sent: dict[bytes, bytes], secret: str) -> bool:
    proof = sent.get(SECRET_HEADER, b"")
    return bool(secret) and hmac.compare_digest(proof, secret.encode())


def _carries_ours(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, _ in headers:
        if name in _OURS:
            return True
    return False


def noticed(scope: Scope, secret: str) -> bool:
    """Whether the request is another instance's notice that everything was reset."""
    sent = {name: value for name, value in scope["headers"] if name in _OURS}
    return sent.get(NOTICE_HEADER) == RESET and _trusted(sent, secret)


def received(scope: Scope, secret: str) -> bool:
    """Whether the request was forwarded by an instance of this sandbox; if so, the scope becomes
    the request as its client sent it. Either way the forwarding headers are gone from it."""
    sent = {name: value for name, value in scope["headers"] if name in _OURS}
    if not sent:
        return False
    scope["headers"] = [(name, value) for name, value in scope["headers"] if name not in _OURS]
    request = sent.get(REQUEST_HEADER)
    if request is None or not _trusted(sent, secret):
        return False
    try:
        text: dict[str, Any] = orjson.loads(base64.b64decode(request, validate=True))
        sent_as = {
            "headers": [(n.encode("latin-1"), v.encode("latin-1")) for n, v in text["headers"]],
            "path": str(text["path"]),
            "raw_path": None if text["raw_path"] is None else text["raw_path"].encode("latin-1"),
            "query_string": text["query"].encode("latin-1"),
            "client": None if text["client"] is None else tuple(text["client"]),
        }
    except (binascii.Error, orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
        return False  # not what an instance sends: served as the request it is
    scope.update(sent_as)
    return True


FORWARDED = "cluster_forwarded"  # scope state: an instance forwarded the request (serve it here)


class Receiving:
    """The outermost layer of an instance with `--ownership`: a forwarded request becomes the request
    as its client sent it before any layer reads it (the host and cross-site checks included); a
    notice is taken (`on_reset`) and answered 204."""

    def __init__(self, app: ASGIApp, registry: Registry, on_reset: Callable[[], None]) -> None:
        self.app = app
        self.registry = registry
        self.on_reset = on_reset

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _carries_ours(scope["headers"]):  # (one look at most requests)
            if noticed(scope, self.registry.secret):
                self.on_reset()
                await send({"type": "http.response.start", "status": 204, "headers": []})
                await send({"type": "http.response.body", "body": b""})
                return
            if received(scope, self.registry.secret):
                scope.setdefault("state", {})[FORWARDED] = True
        await self.app(scope, receive, send)


_FAILED = (httpcore.NetworkError, httpcore.TimeoutException, httpcore.ProtocolError)
_TIMEOUTS = {"connect": CONNECT_SECONDS, "read": ANSWER_SECONDS, "write": ANSWER_SECONDS,
             "pool": ANSWER_SECONDS}


class Forwarder:
    """httpcore's connection pool, not httpx's client: a hop between instances needs no more than
    HTTP/1.1 on a kept-alive connection, and costs about a third less CPU so."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry  # the instance secret, and which instances are alive (its last beat)
        self.pool = httpcore.AsyncConnectionPool(max_keepalive_connections=64)
        # URL -> scheme, host, port, and its `Host` header
        self._origins: dict[str, tuple[bytes, bytes, int | None, bytes]] = {}

    def _url(self, peer: str, target: bytes) -> tuple[httpcore.URL, bytes]:
        """The URL of `target` at `peer`, and the peer's `Host`."""
        origin = self._origins.get(peer)
        if origin is None:
            parsed = httpx.URL(peer)  # an advertised URL: checked at start-up (cluster/advertised.py)
            origin = (parsed.raw_scheme, parsed.raw_host, parsed.port, parsed.netloc)
            if len(self._origins) >= 1_024:  # peers come and go: what is kept of them stays bounded
                self._origins = {}
            self._origins[peer] = origin
        scheme, host, port, netloc = origin
        return httpcore.URL(scheme=scheme, host=host, port=port, target=target), netloc

    async def forward(self, owner: str, scope: Scope, body: bytes, send: Send) -> bool:
        """Send the request to `owner` and its answer to the client; False when `owner` answered it
        without holding the workspace (NotOwner: it did not answer it, and nothing was sent).

        An owner that stops beating while it holds the request (paused: `SIGSTOP`, a stalled VM; the
        kernel still takes the connection, so it is not found unreachable) is waited for until a
        heartbeat of this instance finds its lease lapsed, not for ANSWER_SECONDS: OwnerFailed, a
        503 (retry in a moment, with the same idempotency key for a write: the request may have
        been made before the owner stopped)."""
        fetching = asyncio.ensure_future(self._fetch(owner, scope, body))
        every = self.registry.lease_seconds / BEATS_PER_LEASE
        try:
            while not (await asyncio.wait((fetching,), timeout=every))[0]:
                if not self._alive(owner):
                    raise OwnerFailed(f"{owner}: its lease lapsed while it held the request")
        finally:
            if not fetching.done():
                fetching.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await fetching
        status, headers, answer, not_owner = fetching.result()
        # the connection is back in the pool before the client is sent anything: a client that does
        # not read its answers (uvicorn's `send` waits for it) holds none of the pool's connections
        # to the owner (ten of them held every other forward to it up)
        await send({
            "type": "http.response.start", "status": status,
            "headers": [(name, value) for name, value in headers
                        if name not in _HOP_BY_HOP and name != NOT_OWNER_HEADER],
        })
        await send({"type": "http.response.body", "body": answer})
        return not_owner is None

    def _alive(self, owner: str) -> bool:
        """Whether `owner` is among the live instances (or this one cannot tell: its own beats are
        not getting through, so what it knows of the others is stale)."""
        registry = self.registry
        return not registry.alive() or owner in registry.peers.values()

    async def _fetch(self, owner: str, scope: Scope,
                     body: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes, bytes | None]:
        """The owner's whole answer: its status, headers (names lower-cased), body, and its
        not-owner mark (`served`, or None). NotOwner: it refused the request; OwnerUnreachable: it
        did not take the connection; OwnerFailed: it failed to answer whole."""
        target = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        url, netloc = self._url(owner, target + (b"?" + query if query else b""))
        host = next((value for name, value in scope["headers"] if name == b"host"), netloc)
        headers = [(b"host", host),  # the owner's host check sees what this instance's saw
                   (b"content-length", str(len(body)).encode()),
                   (SECRET_HEADER, self.registry.secret.encode()), (REQUEST_HEADER, packed(scope))]
        request = self.pool.stream(scope["method"].encode(), url, headers=headers, content=body,
                                   extensions={"timeout": _TIMEOUTS})
        try:
            answer = await request.__aenter__()
        except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
            raise OwnerUnreachable(f"{owner}: {exc}") from exc
        except _FAILED as exc:
            raise OwnerFailed(f"{owner}: {exc}") from exc
        try:
            headers = [(name.lower(), value) for name, value in answer.headers]
            not_owner = next((value for name, value in headers if name == NOT_OWNER_HEADER), None)
            if not_owner == REFUSED:
                raise NotOwner(f"{owner} no longer holds the workspace")
            try:
                body = await answer.aread()  # (the owner holds its answer whole before it sends it)
            except _FAILED as exc:  # nothing is sent yet: the client gets a 503, not a cut answer
                raise OwnerFailed(f"{owner}: {exc}") from exc
        finally:
            await request.__aexit__(None, None, None)
        return answer.status, headers, body, not_owner

    async def tell_reset(self, peer: str) -> bool:
        """Tell another instance everything was reset; whether it took the notice."""
        seconds = {"connect": CONNECT_SECONDS, "read": NOTICE_SECONDS, "write": NOTICE_SECONDS,
                   "pool": NOTICE_SECONDS}
        url, netloc = self._url(peer, b"/")
        headers = [(b"host", netloc), (b"content-length", b"0"),
                   (SECRET_HEADER, self.registry.secret.encode()), (NOTICE_HEADER, RESET)]
        try:
            answer = await self.pool.request(b"POST", url, headers=headers, extensions={"timeout": seconds})
        except _FAILED:
            return False
        return answer.status == 204

    async def close(self) -> None:
        await self.pool.aclose()
