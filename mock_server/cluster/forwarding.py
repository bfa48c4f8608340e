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

import base64
import binascii
import hmac
from collections.abc import Callable
from typing import Any

import httpx
import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from mock_server.cluster.registry import Registry

SECRET_HEADER = b"x-batchcalls-instance"
REQUEST_HEADER = b"x-batchcalls-forwarded"
NOTICE_HEADER = b"x-batchcalls-notice"
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
        if scope["type"] == "http":
            if noticed(scope, self.registry.secret):
                self.on_reset()
                await send({"type": "http.response.start", "status": 204, "headers": []})
                await send({"type": "http.response.body", "body": b""})
                return
            if received(scope, self.registry.secret):
                scope.setdefault("state", {})[FORWARDED] = True
        await self.app(scope, receive, send)


class Forwarder:
    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(ANSWER_SECONDS, connect=CONNECT_SECONDS), follow_redirects=False
        )

    async def forward(self, owner: str, scope: Scope, body: bytes, send: Send) -> None:
        """Send the request to `owner` and its answer to the client."""
        target = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        url = httpx.URL(owner).copy_with(raw_path=target + (b"?" + query if query else b""))
        host = next((value for name, value in scope["headers"] if name == b"host"), None)
        headers = [(SECRET_HEADER, self.secret.encode()), (REQUEST_HEADER, packed(scope))]
        if host is not None:  # the owner's host check sees what this instance's saw
            headers.append((b"host", host))
        request = self.client.build_request(scope["method"], url, headers=headers, content=body)
        try:
            answer = await self.client.send(request, stream=True)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise OwnerUnreachable(f"{owner}: {exc}") from exc
        except httpx.HTTPError as exc:
            raise OwnerFailed(f"{owner}: {exc}") from exc
        try:
            await send({
                "type": "http.response.start", "status": answer.status_code,
                "headers": [(name.lower(), value) for name, value in answer.headers.raw
                            if name.lower() not in _HOP_BY_HOP],
            })
            try:
                async for chunk in answer.aiter_raw():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            except httpx.HTTPError as exc:  # the answer is begun: the client sees it cut short
                raise OwnerFailed(f"{owner}: {exc}") from exc
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await answer.aclose()

    async def tell_reset(self, peer: str) -> bool:
        """Tell another instance everything was reset; whether it took the notice."""
        try:
            answer = await self.client.post(
                peer, headers={SECRET_HEADER.decode(): self.secret, NOTICE_HEADER.decode(): RESET.decode()},
                timeout=NOTICE_SECONDS,
            )
        except httpx.HTTPError:
            return False
        return answer.status_code == 204

    async def close(self) -> None:
        await self.client.aclose()
