"""What a handler receives and what it answers: the engine's only contract with a dialect."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from mock_server.core.errors import MockError
from mock_server.engine.faults import FaultTable
from mock_server.engine.ratelimit import RateLimiter
from mock_server.engine.spec import Operation, ResponseSpec, Spec
from mock_server.store.base import Collection, IdempotencyRecord, Workspace


@dataclass(slots=True)
class Reply:
    status: int
    body: Any = None  # JSON-able; None means no body
    headers: dict[str, str] = field(default_factory=dict)
    encoded: bytes | None = None  # the body already encoded, when the engine had to encode it early


@dataclass(slots=True)
class RequestContext:
    operation: Operation
    request_id: str
    now: float
    workspace: Workspace
    params: dict[str, Any]  # typed path, query and header parameters, defaults applied
    body: Any  # parsed JSON, text for non-JSON media types, None when absent
    media_type: str | None


Handler = Callable[[RequestContext], Reply]


class Dialect(Protocol):
    """One vendor's wire layer: its spec, its handlers, its auth and its envelopes."""

    name: str
    spec: Spec
    handlers: Mapping[str, Handler]

    def authenticate(self, headers: Mapping[str, str]) -> Workspace: ...

    def error_reply(self, error: MockError, request_id: str, now: float) -> Reply: ...

    def example_reply(self, response: ResponseSpec, request_id: str, now: float) -> Reply: ...


class Observer(Protocol):
    """A readiness session's view of the pipeline: its deliberate errors and the exchanges it saw.
    The pipeline calls it only while `armed` (some workspace has a session)."""

    armed: bool

    def challenge(
        self, workspace_id: str, request_id: str, method: str, operation_id: str, now: float
    ) -> MockError | None: ...

    def observe(self, workspace_id: str, entry: dict[str, Any]) -> None: ...


class Runtime(Protocol):
    """What the engine needs from the sandbox around it."""

    max_body_bytes: int
    latency_seconds: float  # simulated processing time of every API request
    faults: FaultTable
    rate_limiter: RateLimiter | None

    @property
    def readiness(self) -> Observer: ...

    def now(self) -> float: ...

    def new_id(self, prefix: str) -> str: ...

    def catch_up(self) -> None: ...

    def note_write(self) -> None: ...

    def idempotency_records(self, workspace: Workspace) -> Collection[IdempotencyRecord]: ...
