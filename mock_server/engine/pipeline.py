"""One request through the engine: route → auth → Prefer → body → validate → idempotency → handler.

Routes and validation come from the dialect's spec; the dialect supplies handlers and envelopes.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from typing import Any

import orjson
from starlette.responses import Response

from mock_server.core.errors import (
    BadRequest,
    InternalError,
    MockError,
    PayloadTooLarge,
    RateLimited,
    RequestInvalid,
    ServiceUnavailable,
    UnsupportedMediaType,
    Violation,
)
from mock_server.core.timefmt import timestamp
from mock_server.engine import idempotency
from mock_server.engine.context import Dialect, Reply, RequestContext, Runtime, Tenant
from mock_server.engine.front import REQUEST_ID_HEADER, with_request_id
from mock_server.engine.incoming import SAFE_METHODS, Disconnected, Incoming
from mock_server.engine.kept import exact
from mock_server.engine.router import SpecRoutes
from mock_server.engine.seen import SEEN, Seen, Unencoded
from mock_server.engine.spec import Operation
from mock_server.engine.validation import read_parameters, schema_violations

_PREFER_CODE = re.compile(r"(?:^|[;,\s])code=(\d{3})\b")
IDEMPOTENCY_HEADER = "x-idempotency-key"
_JSON_CONTENT = (b"content-type", b"application/json")


def encode(reply: Reply) -> bytes:
    if reply.encoded is not None:
        return reply.encoded
    return b"" if reply.body is None else orjson.dumps(reply.body)


async def send_reply(
    reply: Reply, body: bytes, send: Any, request_id: str, seen: Seen, *, head_only: bool = False
) -> None:
    """The reply as ASGI messages, without building a Response object on the hot path; noted in
    `seen` as sent."""
    if reply.headers:
        headers = [
            (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in reply.headers.items()
        ]
        with_request_id(headers, request_id)
    else:  # most answers: nothing to encode, no id already there
        headers = [(REQUEST_ID_HEADER, request_id.encode())]
    if reply.body is not None:
        headers.append(_JSON_CONTENT)
    if reply.status != 204 and reply.status >= 200:
        headers.append((b"content-length", b"%d" % len(body)))
    if head_only:
        body = b""
    seen.status, seen.response_headers = reply.status, headers
    # the whole body, a reference: the journal redacts a long one before it cuts it; a settled one
    # (cached encoded fragments) is kept as its value, encoded when the journal is read
    seen.response_body = Unencoded(reply.body, len(body)) if reply.settled and body else body
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def render(reply: Reply) -> Response:
    if reply.body is None:
        return Response(status_code=reply.status, headers=reply.headers)
    return Response(
        encode(reply), status_code=reply.status, headers=reply.headers, media_type="application/json"
    )


def _parse_body(operation: Operation, request: Incoming, raw: bytes) -> tuple[Any, str | None]:
    """The body as its declared media type, or the documented 400/415/422."""
    assert operation.body is not None
    if not raw:
        if operation.body.required:
            raise RequestInvalid([Violation(("body",), "Field required", "missing")])
        return None, None
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";")[0].strip().lower()
    if media_type not in operation.body.media_types:
        accepted = ", ".join(operation.body.media_types)
        raise UnsupportedMediaType(
            f"content type '{media_type or 'none'}' is not accepted here; send {accepted}",
            {"content_type": media_type or None, "accepted": list(operation.body.media_types)},
        )
    validator = operation.body.media_types[media_type]
    if validator is None:
        try:
            return raw.decode("utf-8-sig"), media_type
        except UnicodeDecodeError:
            raise BadRequest("request body is not valid UTF-8 text") from None
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BadRequest("request body must be a JSON object")
    violations = schema_violations(validator, body, ("body",))
    if violations:
        raise RequestInvalid(violations)
    return operation.body.normalise(media_type, body), media_type


def _forced_reply(
    operation: Operation, dialect: Dialect, prefer: str, request_id: str, now: float
) -> Reply | None:
    match = _PREFER_CODE.search(prefer)
    if match is None:
        return None
    response = operation.response_for(int(match.group(1)))
    if response is None:
        raise RequestInvalid(
            [
                Violation(
                    ("header", "Prefer"),
                    f"{operation.operation_id} documents no response with status {match.group(1)}",
                    "value_error",
                )
            ]
        )
    return dialect.example_reply(response, request_id, now)


def _injected(status: int, now: float) -> MockError:
    if status == 429:
        return RateLimited(100, "minute (injected fault)", timestamp(now + 60) or "", 60)
    if status == 503:
        return ServiceUnavailable("the service is temporarily unavailable (injected fault); retry later")
    return InternalError("internal error (injected fault)")


async def _drop(send: Any, seen: Seen) -> None:
    """A dropped connection: headers promise a body that never comes, then the server closes."""
    start = {
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")],
    }
    seen.keep_message(start)
    await send(start)


def _now(world: Tenant | None) -> float:
    """The instant of an answer: its world's time, or the wall clock when no world is known."""
    return world.now() if world is not None else time.time()


def _violations(error: MockError) -> list[Violation] | None:
    """What a refused request got wrong, as answered: the violations of a 422 (the first 100, each
    cut short), or the body a 400/413/415 refused."""
    if isinstance(error, RequestInvalid):
        return error.shown()
    if isinstance(error, BadRequest | PayloadTooLarge | UnsupportedMediaType):
        return [Violation(("body",), error.message, error.code)]
    return None


class OperationEndpoint:
    """The ASGI endpoint of one path: picks the operation by method and runs the pipeline."""

    def __init__(
        self, operations: list[Operation], dialect: Dialect, runtime: Runtime, template: str = ""
    ) -> None:
        self.operations = {op.method: op for op in operations}
        self.dialect = dialect
        self.runtime = runtime
        self.template = template

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = Incoming.from_scope(scope, receive)
        method = request.method
        operation = self.operations[method if method != "HEAD" else "GET"]
        state = scope.setdefault("state", {})
        request_id = str(state.get("request_id", "req_unknown"))
        seen: Seen | None = state.get(SEEN)
        if seen is None:  # not through Front (a test calling the endpoint directly)
            seen = state[SEEN] = Seen()
        seen.operation_id, seen.template = operation.operation_id, self.template
        gateway = self.dialect.gateway
        try:
            if gateway:  # fault rules act before auth, as a gateway's would
                named = seen.world = self.runtime.world_of(request.headers)
                fault = named.faults.match(method, request.path) if named is not None else None
                if fault is not None:
                    seen.fault = fault.as_json()
                    if fault.latency_ms:
                        await asyncio.sleep(fault.latency_ms / 1000)
                    if fault.drop_connection:
                        await _drop(send, seen)
                        return
                    if fault.status is not None:
                        raise _injected(fault.status, _now(named))
            reply = await self._handle(operation, request, request_id, seen)
        except Disconnected:
            return
        except MockError as error:
            seen.violations = _violations(error)
            reply = self.dialect.error_reply(error, request_id, _now(seen.world))
        except Exception as exc:  # a bug must still answer the documented envelope, never a trace
            internal = InternalError(f"internal error: {type(exc).__name__}")
            reply = self.dialect.error_reply(internal, request_id, _now(seen.world))
        finally:
            if method not in SAFE_METHODS and seen.world is not None:  # `changes_state`, inlined
                seen.world.note_write()  # whatever it answered, it may have changed its world
        try:
            body = encode(reply)
        except (TypeError, orjson.JSONEncodeError) as exc:  # e.g. an integer past 64 bits echoed back
            reply = self.dialect.error_reply(
                InternalError(f"internal error: {exc}"), request_id, _now(seen.world)
            )
            body = encode(reply)
        await send_reply(reply, body, send, request_id, seen, head_only=method == "HEAD")

    async def _handle(self, operation: Operation, request: Incoming, request_id: str, seen: Seen) -> Reply:
        world = seen.world = self.dialect.authenticate(request.headers, operation)
        seen.authenticated = True
        world.catch_up()
        now = seen.simulated_at = world.now()
        gateway = self.dialect.gateway
        readiness = world.readiness if gateway else None
        if readiness is not None:  # a readiness session's deliberate 503 or 429
            challenge = readiness.challenge(request_id, request.method, operation.operation_id, now)
            if challenge is not None:
                if operation.body is not None:  # read, so the journal shows what a retry must resend
                    with contextlib.suppress(PayloadTooLarge):
                        seen.request_body = await request.body(self.runtime.max_body_bytes)
                raise challenge
        if gateway and world.rate_limiter is not None:
            world.rate_limiter.hit(world.workspace.id)
        prefer = request.headers.get("prefer") if gateway else None
        forced = _forced_reply(operation, self.dialect, prefer, request_id, now) if prefer else None
        if forced is not None:
            return forced
        raw = b""
        body: Any = None
        media_type: str | None = None
        body_violations: list[Violation] = []
        if operation.body is not None:
            raw = seen.request_body = await request.body(self.runtime.max_body_bytes)
            try:
                body, media_type = _parse_body(operation, request, raw)
            except RequestInvalid as invalid:
                # its violations, not the exception: kept in this frame, the exception (whose
                # traceback holds the frame) would make a reference cycle of the request's body
                body_violations = invalid.violations
        params, violations = read_parameters(operation, request.path_params, request.query, request.headers)
        if body_violations:
            violations = [*violations, *body_violations]
        if violations:
            raise RequestInvalid(violations)
        context: RequestContext[Any, Any] = RequestContext(
            operation=operation,
            request_id=request_id,
            now=now,
            world=world,
            dialect=self.dialect,
            params=params,
            headers=request.headers,
            body=body,
            media_type=media_type,
        )
        key = request.headers.get(IDEMPOTENCY_HEADER) if gateway and operation.method == "POST" else None
        if not key:
            if gateway and self.runtime.latency_seconds > 0:
                await asyncio.sleep(self.runtime.latency_seconds)
            return await _answer(self.dialect, context)
        return await self._idempotent(context, world, key, request.path, raw, seen)

    async def _idempotent(
        self, context: RequestContext[Any, Any], world: Tenant, key: str, path: str, raw: bytes, seen: Seen
    ) -> Reply:
        records = world.idempotency_records()
        print_ = idempotency.fingerprint(context.operation.operation_id, path, raw)
        record = idempotency.begin(records, key, print_, context.now)
        if not record.in_progress:
            seen.idempotent_replay = True
            headers = {**record.headers, "Idempotent-Replayed": "true"}
            return Reply(record.status, orjson.loads(record.body) if record.body else None, headers)
        try:
            if self.runtime.latency_seconds > 0:  # the key is in progress meanwhile: a replay gets 409
                await asyncio.sleep(self.runtime.latency_seconds)
            try:
                reply = await _answer(self.dialect, context)
            except MockError as error:
                reply = self.dialect.error_reply(error, context.request_id, context.now)
            reply.encoded = encode(reply)
        except BaseException:  # a bug, or the request cancelled mid-way: free the key for a retry
            idempotency.finish(records, key, record, 500, b"", {})
            raise
        headers = {**reply.headers, "X-Request-Id": context.request_id}
        idempotency.finish(records, key, record, reply.status, exact(reply.encoded), headers)
        return reply


async def _answer(dialect: Dialect, context: RequestContext[Any, Any]) -> Reply:
    """The handler's reply; a handler that works in turns is awaited (`engine/turns.py`)."""
    reply = dialect.handlers[context.operation.operation_id](context)
    return reply if isinstance(reply, Reply) else await reply


def build_routes(dialect: Dialect, runtime: Runtime, mount: str = "") -> SpecRoutes:
    """The routes of every path of the dialect's spec, as one segment-matching route."""
    grouped = dialect.spec.paths()
    return SpecRoutes(
        mount + dialect.spec.base_path,
        {
            path: (
                OperationEndpoint(ops, dialect, runtime, mount + dialect.spec.base_path + path),
                [op.method for op in ops],
            )
            for path, ops in grouped.items()
        },
    )
