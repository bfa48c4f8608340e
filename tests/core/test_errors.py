"""Each kind of error carries its HTTP status and headers: every API answers it alike, its envelope
shaping only the body. A `Conflict` is a 409 under Truedy and Zudu too (it was a 500 there)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from response_checker import ResponseChecker
from starlette.testclient import TestClient
from support import AUTH, SEED_004, START, ZUDU_AUTH, check_answer

from mock_server.app import create_app
from mock_server.control import envelopes as control_envelopes
from mock_server.core.batch_rules import STANDARD
from mock_server.core.errors import (
    BadRequest,
    BusinessRuleViolation,
    Conflict,
    CrossOriginRequest,
    HeadersTooLarge,
    IdempotencyInProgress,
    InternalError,
    InvalidState,
    MethodNotAllowed,
    MisdirectedRequest,
    MockError,
    NotFound,
    PayloadTooLarge,
    QuotaExceeded,
    RateLimited,
    RequestInvalid,
    ServiceUnavailable,
    Unauthorized,
    UnsupportedMediaType,
    Violation,
)
from mock_server.core.models import Batch, BatchSettings
from mock_server.dialects.registry import BUILT_IN, DialectKind
from mock_server.dialects.truedy import envelopes as truedy_envelopes
from mock_server.dialects.zudu import envelopes as zudu_envelopes
from mock_server.dialects.zudu.rules import LIFECYCLE as ZUDU_LIFECYCLE
from mock_server.engine.context import Dialect, Handler, Reply, RequestContext
from mock_server.engine.spec import Spec
from mock_server.settings import Settings
from mock_server.world import WorldDirectory

KINDS: list[tuple[MockError, int]] = [
    (BadRequest("not JSON"), 400),
    (Unauthorized("no key"), 401),
    (CrossOriginRequest("another site"), 403),
    (NotFound("batch_call", "b1"), 404),
    (MethodNotAllowed("PUT", ["GET"]), 405),
    (Conflict("clock_not_manual", "real clock"), 409),
    (IdempotencyInProgress("in flight"), 409),
    (QuotaExceeded("batch_calls", "batch calls", 1, 1, 1), 409),
    (PayloadTooLarge("too big"), 413),
    (UnsupportedMediaType("text/plain"), 415),
    (MisdirectedRequest("evil.example"), 421),
    (RequestInvalid([Violation(("body", "name"), "Field required", "missing")]), 422),
    (BusinessRuleViolation("agent_not_ready", "not ready"), 422),
    (RateLimited(10, "minute", "2026-03-02T08:01:00Z", 42), 429),
    (HeadersTooLarge("too many"), 431),
    (InternalError("a bug"), 500),
    (ServiceUnavailable("away", retry_after=7), 503),
]
RENDERERS: list[Callable[[MockError, str, float], Reply]] = [
    truedy_envelopes.error_reply,
    zudu_envelopes.error_reply,
    control_envelopes.error_reply,
]


@pytest.mark.parametrize("render", RENDERERS, ids=["truedy", "zudu", "control"])
@pytest.mark.parametrize(("error", "status"), KINDS, ids=[type(e).__name__ for e, _ in KINDS])
def test_every_envelope_answers_the_status_of_the_error(
    render: Callable[[MockError, str, float], Reply], error: MockError, status: int
) -> None:
    assert error.http_status == status
    assert render(error, "req_1", START).status == status


@pytest.mark.parametrize("render", RENDERERS, ids=["truedy", "zudu", "control"])
def test_the_headers_are_the_error_s_own(render: Callable[[MockError, str, float], Reply]) -> None:
    assert render(MethodNotAllowed("PUT", ["GET", "POST"]), "r", START).headers == {"Allow": "GET, POST"}
    assert render(RateLimited(10, "minute", "x", 42), "r", START).headers == {"Retry-After": "42"}
    assert render(ServiceUnavailable("away"), "r", START).headers == {"Retry-After": "1"}
    assert render(ServiceUnavailable("away", retry_after=9), "r", START).headers == {"Retry-After": "9"}
    assert render(Unauthorized("no", challenge='Bearer realm="x"'), "r", START).headers == {
        "WWW-Authenticate": 'Bearer realm="x"'
    }
    assert render(Unauthorized("no"), "r", START).headers == {}


def _batch(status: str) -> Batch:
    settings = BatchSettings(name="b", agent_id="agt_1")
    return Batch("batch_1", "ws_1", settings, status, START, START)  # type: ignore[arg-type]


def test_a_refused_status_change_is_answered_with_the_lifecycle_s_status() -> None:
    """Truedy answers a command its batch's status refuses with a 422, Zudu with a 400: data of
    each lifecycle, carried by the error."""
    with pytest.raises(InvalidState) as truedy:
        STANDARD.require(_batch("completed"), "pause")
    with pytest.raises(InvalidState) as zudu:
        ZUDU_LIFECYCLE.require(_batch("completed"), "execute")
    assert truedy.value.http_status == 422
    assert zudu.value.http_status == 400
    assert zudu_envelopes.error_reply(zudu.value, "r", START).body["message"] == "Validation error"
    with pytest.raises(InvalidState) as removal:
        ZUDU_LIFECYCLE.removal(_batch("active"))
    assert removal.value.http_status == 400


class _Conflicting:
    """A dialect whose create refuses with a Conflict, as a handler of a new operation might."""

    def __init__(self, inner: Dialect) -> None:
        self.inner = inner
        self.name, self.spec, self.gateway = inner.name, inner.spec, inner.gateway
        self.handlers: dict[str, Handler] = {**inner.handlers, "create_batch_call": self._refuse}
        self.authenticate, self.error_reply = inner.authenticate, inner.error_reply
        self.example_reply = inner.example_reply

    @staticmethod
    def _refuse(ctx: RequestContext[object]) -> Reply:
        raise Conflict("batch_limit_reached", "this workspace holds enough batches", {"limit": 1})


def _conflicting(kind: DialectKind) -> DialectKind:
    """`kind`, its dialect built as before and then wrapped (the app factory takes any `DialectKind`)."""

    def build(spec: Spec, worlds: WorldDirectory) -> Dialect:
        return _Conflicting(kind.build(spec, worlds))

    return replace(kind, build=build)


CREATES = [
    ("/api/public/v1/batch-calls", AUTH, {"name": "b", "agent_id": "agt_sandbox_ready", "contacts": []}),
    ("/batch-call", ZUDU_AUTH, SEED_004),
]


@pytest.mark.in_process
@pytest.mark.parametrize(("path", "headers", "body"), CREATES, ids=["truedy", "zudu"])
def test_a_conflict_is_a_409_in_every_public_api(
    path: str, headers: dict[str, str], body: dict[str, Any]
) -> None:
    kinds = [_conflicting(kind) for kind in BUILT_IN]
    app = create_app(Settings(clock="manual", start_at=START), dialects=kinds)
    checkers = [ResponseChecker(spec) for spec in app.state.specs.values()]
    with TestClient(app) as client:
        response = client.post(path, json=body, headers=headers)
    check_answer(checkers, "POST", path, response)  # 409 is documented for both creates
    assert response.status_code == 409, response.text
    answer = response.json()
    if "meta" in answer:  # Truedy's ErrorResponse
        assert answer["error"]["code"] == "batch_limit_reached"
    else:  # Zudu's envelope
        assert answer["message"] == "Conflict" and answer["error"] == "This workspace holds enough batches"


def test_a_bare_error_is_a_500_with_no_headers() -> None:
    assert MockError("x").http_status == 500 and MockError("x").headers() == {}
