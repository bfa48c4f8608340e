"""What a handler receives and what it answers: the engine's only contract with a dialect."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from mock_server.core.errors import MockError
from mock_server.engine.faults import FaultTable
from mock_server.engine.idempotency import Records
from mock_server.engine.ratelimit import RateLimiter
from mock_server.engine.spec import Operation, ResponseSpec, Spec
from mock_server.store.base import Workspace


@dataclass(slots=True)
class Reply:
    status: int
    body: Any = None  # JSON-able; None means no body
    headers: dict[str, str] = field(default_factory=dict)
    encoded: bytes | None = None  # the body already encoded, when the engine had to encode it early
    # nothing in `body` changes once answered (encoded fragments of a cache, values made for this
    # answer): the request journal keeps it instead of its bytes (see engine/seen.Unencoded)
    settled: bool = False


class Challenger(Protocol):
    """A readiness session as the pipeline meets it: the deliberate error a request gets, if any (what
    was answered, the session reads from the world's request journal)."""

    def challenge(self, request_id: str, method: str, operation_id: str, now: float) -> MockError | None: ...


class Tenant(Protocol):
    """What the engine needs from the world a request belongs to (a workspace's world)."""

    faults: FaultTable
    rate_limiter: RateLimiter | None

    @property
    def workspace(self) -> Workspace: ...

    @property
    def readiness(self) -> Challenger | None: ...  # the world's armed readiness session

    def now(self) -> float: ...

    def catch_up(self) -> None: ...

    def note_write(self) -> None: ...

    def idempotency_records(self) -> Records: ...


class HasWorkspace(Protocol):
    @property
    def workspace(self) -> Workspace: ...


W = TypeVar("W", bound=HasWorkspace)
D = TypeVar("D")


@dataclass(slots=True)
class RequestContext(Generic[W, D]):
    operation: Operation
    request_id: str
    now: float
    world: W  # the world of the authenticated workspace, as its dialect knows it
    dialect: D  # the dialect serving it: what its handlers share (base URL, caches, the sandbox)
    params: dict[str, Any]  # typed path, query and header parameters, defaults applied
    headers: Mapping[str, str]  # every header, lower-case names
    body: Any  # parsed JSON, text for non-JSON media types, None when absent
    media_type: str | None

    @property
    def workspace(self) -> Workspace:
        return self.world.workspace


Handler = Callable[[RequestContext[Any, Any]], Reply]
# A handler whose work grows with what a tenant stored (a journal page, a readiness report) is a
# coroutine that does it in turns (`engine/turns.py`), so that other requests are answered meanwhile.
TurnHandler = Callable[[RequestContext[Any, Any]], Awaitable[Reply]]


class Dialect(Protocol):
    """One API's wire layer: its spec, its handlers, its auth and its envelopes."""

    name: str
    spec: Spec
    # a public API sits behind a gateway: fault rules, the rate limit, `Prefer: code=`, simulated
    # latency and idempotency keys apply to it; the control API has none of these
    gateway: bool

    @property
    def handlers(self) -> Mapping[str, Handler | TurnHandler]: ...

    def authenticate(self, headers: Mapping[str, str], operation: Operation) -> Tenant: ...

    def error_reply(self, error: MockError, request_id: str, now: float) -> Reply: ...

    def example_reply(self, response: ResponseSpec, request_id: str, now: float) -> Reply: ...


class Runtime(Protocol):
    """What the engine needs from the sandbox around it."""

    max_body_bytes: int
    latency_seconds: float  # simulated processing time of every API request

    def world_of(self, headers: Mapping[str, str]) -> Tenant | None: ...
