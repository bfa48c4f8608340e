"""The validation proxy on the wire: forwards every request to the target unchanged, streaming both
ways, and hands a copy of each exchange to the `Observations` once the client has its answer.

It never blocks nor alters traffic: bodies are streamed through as they come (a copy of at most
KEEP_LIMIT bytes is kept for the checks), hop-by-hop headers are the only ones it drops (RFC 9110
§7.6.1), and a crash of a check is counted, never shown to the client. `GET /_contract/report`
answers the findings so far (the one path it serves itself).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from contracts.curl import curl_command
from contracts.exchange import Exchange
from contracts.proxy.observer import Forwarded, Observations
from contracts.results import Outcome

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

REPORT_PATH = "/_contract/report"
KEEP_LIMIT = 1024 * 1024  # bytes of a body kept for the checks; larger ones pass but are not checked
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"host",
    }
)


class _Copy:
    """The first KEEP_LIMIT bytes of a body; `whole` is False once it overflowed."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.whole = True

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > KEEP_LIMIT:
            self.whole, self.parts = False, []
        elif self.whole:
            self.parts.append(chunk)

    def content(self) -> bytes | None:
        return b"".join(self.parts) if self.whole else None


class Proxy:
    def __init__(self, target: str, observations: Observations, timeout: float = 60.0) -> None:
        self.target = target.rstrip("/")
        self.target_path = urlsplit(self.target).path
        self.observations = observations
        self.timeout = timeout
        self.client: httpx.AsyncClient | None = None
        self.sequence = itertools.count()
        self.check_crashes = 0
        self.upstream_errors: list[str] = []
        self.checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="contract-checks")
        self.pending: asyncio.Future[None] | None = None  # the last exchange handed to the checker

    def drain(self) -> None:
        """Wait for every exchange handed to the checker (before the reports are written)."""
        self.checker.shutdown(wait=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            if scope["path"] == REPORT_PATH and scope["method"] in ("GET", "HEAD"):
                await self._report(send)
            else:
                await self._forward(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
                self.client = httpx.AsyncClient(timeout=self.timeout, limits=limits)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.client is not None:
                    await self.client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.client is not None, "the proxy's lifespan starts its client"
        sequence = next(self.sequence)
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        query: bytes = scope.get("query_string", b"")
        url = self.target + raw_path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in HOP_BY_HOP]
        sent = _Copy()

        async def request_body() -> AsyncIterator[bytes]:
            while True:
                message = await receive()
                chunk = message.get("body", b"")
                if chunk:
                    sent.add(chunk)
                    yield chunk
                if not message.get("more_body"):
                    return

        method: str = scope["method"]
        request = self.client.build_request(method, url, headers=headers, content=request_body())
        try:
            response = await self.client.send(request, stream=True)
        except httpx.HTTPError as exc:
            self.upstream_errors.append(f"{method} {url}: {type(exc).__name__}: {exc}")
            await _answer(send, 502, {"error": f"the contract proxy could not reach {self.target}: {exc}"})
            return
        answered = _Copy()
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": [(k, v) for k, v in response.headers.raw if k.lower() not in HOP_BY_HOP],
                }
            )
            async for chunk in response.aiter_raw():
                answered.add(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await response.aclose()
        # checked on the proxy's one checking thread, in arrival order, off the event loop: the
        # next request through the proxy does not wait for the checks of this one
        loop = asyncio.get_running_loop()
        self.pending = loop.run_in_executor(
            self.checker, self._observe, sequence, method, scope["path"], request, sent, response, answered
        )

    def _observe(
        self,
        sequence: int,
        method: str,
        path: str,
        request: httpx.Request,
        sent: _Copy,
        response: httpx.Response,
        answered: _Copy,
    ) -> None:
        try:
            encoded = response.headers.get("content-encoding", "identity").lower() not in ("", "identity")
            content = None if encoded else answered.content()
            body = sent.content()
            curl = curl_command(method, str(request.url), request.headers, body, {})
            exchange = Exchange(
                method,
                path,
                response.status_code,
                {k.lower(): v for k, v in response.headers.items()},
                content or b"",
                curl,
            )
            request_headers = {k.lower(): v for k, v in request.headers.items()}
            self.observations.observe(Forwarded(sequence, method, path, request_headers, body, exchange))
        except Exception:  # noqa: BLE001 - a bug of a check must never reach the client
            self.check_crashes += 1

    async def _report(self, send: Send) -> None:
        if self.pending is not None:  # one worker, in order: the last one done means all are
            await asyncio.shield(self.pending)
        requirements = self.observations.snapshot()
        findings = [r for r in requirements if r.outcome == Outcome.FAILED]
        body = {
            "exchanges": self.observations.exchanges,
            "unmatched": self.observations.unmatched,
            "conformant": not findings,
            "counts": {o.value: sum(r.outcome == o for r in requirements) for o in Outcome},
            "findings": [
                {
                    "id": r.id,
                    "title": r.title,
                    "evidence": [
                        {"message": e.message, "occurrences": e.occurrences, "curl": e.curl}
                        for e in r.evidence
                    ],
                }
                for r in findings
            ],
            "warnings": [
                {"id": r.id, "messages": [e.message for e in r.evidence]}
                for r in requirements
                if r.outcome == Outcome.WARNING
            ],
            "upstream_errors": self.upstream_errors[-20:],
            "check_crashes": self.check_crashes,
        }
        await _answer(send, 200, body)


async def _answer(send: Send, status: int, body: Any) -> None:
    content = orjson.dumps(body)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})
