"""The validation proxy on the wire: forwards every request to the target, streaming both ways, and
hands a copy of each exchange to the `Observations` once the client has its answer.

It forwards what the client sent and what the target answered, nothing more (`wire.py`: the
request target as it came, hop-by-hop headers dropped, no header of its own), and never alters
traffic; a crash of a check is counted, never shown to the client. `GET /_contract/report` answers
the findings so far (the one path it serves itself).

A client may be slow or hostile; these bounds keep it from holding what other clients need:
- `client_timeout` (--client-timeout, 30 s): a request's whole body must arrive within it, and each
  part of the answer must be taken within it; otherwise the client is answered 408 (when nothing
  was answered yet) or its connection is closed;
- the first `prefix` bytes (64 KiB) of a body are read before a connection to the target is taken,
  so a stalled small upload holds none; at most `streaming_uploads` (32) larger bodies are streamed
  to the target at once, a further one waits for its turn within its client timeout (then 503), so
  stalled large uploads hold at most 32 of the `upstream_connections` (200);
- at most `queued_checks` (1,000) exchanges wait for the checker; past it, exchanges pass unchecked
  (and unrecorded by `--har`, whose file is bounded by `har_file.py`).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from contracts.curl import Redaction, curl_command, redact_url
from contracts.dialects import credential_headers
from contracts.exchange import TargetExchange
from contracts.proxy.har_file import HarRecording
from contracts.proxy.observer import Forwarded, Observations
from contracts.proxy.wire import (
    Copy,
    CopyBudget,
    decoded_for_checks,
    end_to_end,
    has_body,
    sendable,
    target_problem,
)
from contracts.results import Outcome
from contracts.safe_text import printable

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

REPORT_PATH = "/_contract/report"
MAX_CURL_BODY = 64 * 1024  # bytes of a client's body written into a reproduction


@dataclass(frozen=True, slots=True)
class Limits:
    client_timeout: float = 30.0
    prefix: int = 64 * 1024
    streaming_uploads: int = 32
    upstream_connections: int = 200
    queued_checks: int = 1000


@dataclass
class _InFlight:
    """One request on its way: what the checks will need of it once answered."""

    sequence: int
    method: str
    path: str  # as the client sent it (without the query), for the spec's operations
    url: str  # the target's, for reproductions
    headers: list[tuple[bytes, bytes]]  # forwarded to the target
    sent: Copy
    answered: Copy
    started: float  # the event loop's clock when it arrived

    def release(self) -> None:
        self.sent.release()
        self.answered.release()


class _ClientSlow(Exception):
    """The client did not send its body, or take the answer, within the client timeout."""


class _ClientGone(Exception):
    """The client closed the connection before its request was whole."""


class _Body:
    """The client's request body, read within the deadline: a prefix first, then the rest as streamed."""

    def __init__(self, receive: Receive, deadline: float, copy: Copy) -> None:
        self.receive, self.deadline, self.copy = receive, deadline, copy
        self.prefix: list[bytes] = []
        self.complete = False

    async def _next(self) -> bytes:
        remaining = self.deadline - asyncio.get_running_loop().time()
        try:
            message = await asyncio.wait_for(self.receive(), max(remaining, 0))
        except TimeoutError:
            raise _ClientSlow from None
        if message["type"] == "http.disconnect":
            raise _ClientGone
        self.complete = not message.get("more_body", False)
        chunk: bytes = message.get("body", b"")
        self.copy.add(chunk)
        return chunk

    async def read_prefix(self, limit: int) -> None:
        size = 0
        while not self.complete and size < limit:
            chunk = await self._next()
            self.prefix.append(chunk)
            size += len(chunk)

    async def stream(self) -> AsyncIterator[bytes]:
        for chunk in self.prefix:
            if chunk:
                yield chunk
        while not self.complete:
            chunk = await self._next()
            if chunk:
                yield chunk


class Proxy:
    def __init__(
        self,
        target: str,
        observations: Observations,
        timeout: float = 60.0,
        limits: Limits | None = None,
        har: HarRecording | None = None,
    ) -> None:
        self.target = target.rstrip("/")
        parts = urlsplit(self.target)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.base_path = parts.path.encode("ascii")
        self.observations = observations
        self.har = har
        self.timeout = timeout
        self.limits = limits or Limits()
        self.redaction = Redaction(headers=credential_headers(observations.dialect))
        self.client: httpx.AsyncClient | None = None
        self.sequence = itertools.count()
        self.budget = CopyBudget()
        self.uploads = asyncio.Semaphore(self.limits.streaming_uploads)
        self.check_crashes = 0
        self.upstream_errors: deque[str] = deque(maxlen=20)  # the last ones, for the report
        self.refused: Counter[str] = Counter()  # clients answered 400/408/503 or dropped, by why
        self.queued = 0
        self.in_flight = 0  # requests being forwarded
        self.streaming = 0  # of which bodies streamed to the target (holding an upload turn)
        self.checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="contract-checks")
        self.pending: asyncio.Future[None] | None = None  # the last exchange handed to the checker

    def drain(self) -> None:
        """Wait for every exchange handed to the checker (before the reports are written)."""
        self.checker.shutdown(wait=True)
        if self.har is not None:
            self.har.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            if scope["path"] == REPORT_PATH and scope["method"] in ("GET", "HEAD"):
                await self._report(send)
                return
            self.in_flight += 1
            try:
                await self._forward(scope, receive, send)
            finally:
                self.in_flight -= 1

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                connections = self.limits.upstream_connections
                self.client = httpx.AsyncClient(
                    timeout=self.timeout,
                    limits=httpx.Limits(max_connections=connections, max_keepalive_connections=50),
                    # a proxy keeps no cookie: one client's would go to the next, and the jar would grow
                    cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
                )
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.client is not None:
                    await self.client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _refuse(self, why: str) -> None:
        self.refused[why] += 1

    async def _forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.client is not None, "the proxy's lifespan starts its client"
        method: str = scope["method"]
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        problem = target_problem(method, raw_path)
        if problem is not None:
            self._refuse("400 request target")
            return await _answer(send, 400, {"error": problem}, close=True)
        query: bytes = scope.get("query_string", b"")
        target = raw_path + (b"?" + query if query else b"")
        if raw_path != b"*":
            target = self.base_path + target
        url = self.origin + target.decode("latin-1")
        headers = end_to_end(scope["headers"])
        sent, answered = Copy(self.budget), Copy(self.budget)
        now = asyncio.get_running_loop().time()
        flight = _InFlight(next(self.sequence), method, scope["path"], url, headers, sent, answered, now)
        body = _Body(receive, asyncio.get_running_loop().time() + self.limits.client_timeout, sent)
        try:
            response = await self._send(flight, target, body, has_body(scope["headers"]))
        except _ClientSlow:
            flight.release()
            self._refuse("408 request body too slow")
            late = f"the request body did not arrive within {self.limits.client_timeout:g} s"
            return await _answer(send, 408, {"error": late}, close=True)
        except _ClientGone:
            return flight.release()
        except _NoTurn:
            flight.release()
            self._refuse("503 no upload turn")
            busy = f"{self.limits.streaming_uploads} uploads are being forwarded; try again"
            return await _answer(send, 503, {"error": busy}, close=True)
        except httpx.HTTPError as exc:
            flight.release()
            where = redact_url(url, self.redaction)
            self.upstream_errors.append(printable(f"{method} {where}: {type(exc).__name__}: {exc}"))
            self._refuse("502 target unreachable")
            unreachable = f"the contract proxy could not reach {self.target}: {exc}"
            return await _answer(send, 502, {"error": unreachable})
        try:
            await self._answer_client(send, response, answered)
        except (_ClientSlow, httpx.HTTPError) as exc:  # the connection is closed unanswered
            flight.release()
            self._refuse("answer not taken in time" if isinstance(exc, _ClientSlow) else "target broke off")
            return
        finally:
            await response.aclose()
        self._check_later(flight, response)

    async def _send(self, flight: _InFlight, target: bytes, body: _Body, with_body: bool) -> httpx.Response:
        """The request to the target, once the client's body is known to be on its way."""
        assert self.client is not None
        await body.read_prefix(self.limits.prefix)
        turn = not body.complete  # a large body is streamed: it waits for an upload turn
        if turn:
            remaining = body.deadline - asyncio.get_running_loop().time()
            try:
                await asyncio.wait_for(self.uploads.acquire(), max(remaining, 0))
            except TimeoutError:
                raise _NoTurn from None
            self.streaming += 1
        request = httpx.Request(
            flight.method,
            self.origin,
            headers=flight.headers,
            content=body.stream() if with_body else None,
            extensions={"target": target},  # the request target exactly as the client sent it
        )
        try:
            return await self.client.send(request, stream=True)
        finally:
            if turn:
                self.streaming -= 1
                self.uploads.release()

    async def _answer_client(self, send: Send, response: httpx.Response, answered: Copy) -> None:
        headers = sendable(end_to_end(response.headers.raw))
        start = {"type": "http.response.start", "status": response.status_code, "headers": headers}
        await self._to_client(send, start)
        async for chunk in response.aiter_raw():
            answered.add(chunk)
            await self._to_client(send, {"type": "http.response.body", "body": chunk, "more_body": True})
        await self._to_client(send, {"type": "http.response.body", "body": b"", "more_body": False})

    async def _to_client(self, send: Send, message: Message) -> None:
        try:
            await asyncio.wait_for(send(message), self.limits.client_timeout)
        except TimeoutError:
            raise _ClientSlow from None

    def _check_later(self, flight: _InFlight, response: httpx.Response) -> None:
        """On the proxy's one checking thread, in arrival order, off the event loop: the next request
        through the proxy does not wait for the checks of this one."""
        if self.queued >= self.limits.queued_checks:
            flight.release()
            self.observations.not_checked["the checker was behind"] += 1
            return
        self.queued += 1
        loop = asyncio.get_running_loop()
        elapsed_ms = (loop.time() - flight.started) * 1000
        future = loop.run_in_executor(self.checker, self._observe, flight, response, elapsed_ms)
        future.add_done_callback(self._checked)
        self.pending = future

    def _checked(self, future: asyncio.Future[None]) -> None:
        self.queued -= 1

    def _observe(self, flight: _InFlight, response: httpx.Response, elapsed_ms: float) -> None:
        try:
            encoding = response.headers.get("content-encoding", "")
            content, cut, unchecked = decoded_for_checks(encoding, flight.answered.content())
            body = flight.sent.content()
            sent = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in flight.headers]
            curl = curl_command(flight.method, flight.url, sent, body, self.redaction, max_body=MAX_CURL_BODY)
            headers = {k.lower(): v for k, v in response.headers.items()}
            exchange = TargetExchange(
                flight.method, flight.path, response.status_code, headers, content, curl, cut
            )
            request = (flight.sequence, flight.method, flight.path, {k.lower(): v for k, v in sent}, body)
            self.observations.observe(Forwarded(*request, exchange, unchecked))
            if self.har is not None:
                kept = None if unchecked else content  # a body not decoded or too large is left out
                self.har.record(flight.method, flight.url, sent, body, response.status_code,
                                response.headers.multi_items(), kept, elapsed_ms)
        except Exception:  # noqa: BLE001 - a bug of a check must never reach the client
            self.check_crashes += 1
        finally:
            flight.release()

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
                        {
                            "message": printable(e.message),
                            "occurrences": e.occurrences,
                            "curl": [printable(c) for c in e.curl],
                        }
                        for e in r.evidence
                    ],
                }
                for r in findings
            ],
            "warnings": [
                {"id": r.id, "messages": [printable(e.message) for e in r.evidence]}
                for r in requirements
                if r.outcome == Outcome.WARNING
            ],
            "not_checked": dict(self.observations.not_checked),
            "in_flight": {"requests": self.in_flight, "streaming_uploads": self.streaming},
            "refused": dict(self.refused),
            "upstream_errors": list(self.upstream_errors),
            "check_crashes": self.check_crashes,
        }
        await _answer(send, 200, body)


class _NoTurn(Exception):
    """No upload turn came within the client timeout."""


async def _answer(send: Send, status: int, body: Any, close: bool = False) -> None:
    content = orjson.dumps(body)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]
    if close:  # the rest of the request was not read: the connection cannot carry another one
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})
