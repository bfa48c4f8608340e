"""The app factory: one sandbox, the dialects it serves, the control API, one error mapping."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Scope

from mock_server.cluster.forwarding import Receiving
from mock_server.cluster.middleware import ClusterMiddleware
from mock_server.cluster.node import Node
from mock_server.cluster.pump import run_due
from mock_server.cluster.spread import keep_spreading
from mock_server.control.dialect import ControlDialect
from mock_server.core.errors import InternalError, MethodNotAllowed, MockError, NotFound
from mock_server.dialects.registry import BUILT_IN, DialectKind, credential_schemes
from mock_server.engine.context import Dialect
from mock_server.engine.front import Front, request_id_of
from mock_server.engine.guard import Guard
from mock_server.engine.hosts import HostPolicy
from mock_server.engine.pipeline import build_routes, render
from mock_server.engine.scopes import ScopeTable
from mock_server.engine.spec import Spec, load_spec
from mock_server.mcp_server.endpoint import McpMount
from mock_server.observe.access_log import AccessLog
from mock_server.observe.metrics_export import SandboxCollector, exposition, metrics_registry
from mock_server.observe.recorder import Recorder
from mock_server.observe.request_metrics import RequestMetrics, answered_statuses, operations_of
from mock_server.persistence import JournalMiddleware, Persistence
from mock_server.sandbox import Sandbox
from mock_server.settings import Settings
from mock_server.wakeups import pump
from mock_server.web import Contract, console_routes, docs_routes

Endpoint = Callable[[Request], Awaitable[Response]]


class SandboxApp(Starlette):
    """Starlette, with the engine's `Front` (and the journal, with a state file) ahead of its stack."""

    def __init__(self, *, front: Callable[[ASGIApp], ASGIApp], **kwargs: Any) -> None:
        self.front = front
        super().__init__(**kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        return self.front(super().build_middleware_stack())


DialectHook = Callable[[Dialect, Sandbox], Dialect]


def serve_dialects(
    settings: Settings, sandbox: Sandbox, kinds: Sequence[DialectKind], hook: DialectHook | None = None
) -> list[tuple[DialectKind, Dialect]]:
    """The dialects the settings ask for (by name, among `kinds`), in order: the first is the
    fallback of unknown paths. `hook` may replace each (the test-only deliberate defects of
    `mock_server.testing`)."""
    by_name = {kind.name: kind for kind in kinds}
    unknown = [name for name in settings.dialects if name not in by_name]
    if unknown:
        raise ValueError(f"no dialect {', '.join(unknown)}; known: {', '.join(by_name)}")
    served: list[tuple[DialectKind, Dialect]] = []
    for name in settings.dialects:
        kind = by_name[name]
        dialect = kind.build(load_spec(kind.spec_path(settings)), sandbox)
        served.append((kind, hook(dialect, sandbox) if hook is not None else dialect))
    if not served:
        raise ValueError("serve at least one dialect")
    return served


def dialect_for(served: Sequence[Dialect], path: str) -> Dialect:
    """The dialect whose paths `path` falls under (an unknown path or a wrong method is answered in
    its envelope): below a dialect's base path, or, for a dialect served at the root, under the first
    segment of one of its paths. Otherwise the first dialect served."""
    for dialect in served:
        base = dialect.spec.base_path
        if base:
            if path == base or path.startswith(base + "/"):
                return dialect
        elif path.split("/")[1] in {template.split("/")[1] for template in dialect.spec.paths()}:
            return dialect
    return served[0]


def create_app(
    settings: Settings | None = None,
    *,
    dialects: Sequence[DialectKind] = BUILT_IN,
) -> SandboxApp:
    """The sandbox app. `dialects`: the APIs it knows (their credentials name workspaces, served or
    not); it serves those `settings.dialects` names, and the control API."""
    settings = settings or Settings()
    dialect_hook: DialectHook | None = None
    if settings.defects:  # test-only code, loaded only when a defect is named
        from mock_server.testing.defects import defect_hook

        dialect_hook = defect_hook(settings.defects)
    if settings.state_file is not None and settings.store is not None:
        raise ValueError("use either a state file or a PostgreSQL store, not both")
    schemes = credential_schemes(dialects)
    control_spec = load_spec(settings.control_spec_path)
    scopes = ScopeTable(control_spec)  # what each control request is: sandbox-wide, the journal's own…
    node = Node(settings, settings.store, schemes, scopes) if settings.store is not None else None
    persistence = Persistence(settings, schemes) if settings.state_file is not None else None
    sandbox: Sandbox = (
        node.sandbox if node is not None
        else persistence.sandbox if persistence is not None
        else Sandbox(settings, schemes)
    )
    kinds_served = serve_dialects(settings, sandbox, dialects, dialect_hook)
    served = [dialect for _, dialect in kinds_served]
    answering: list[Dialect] = []  # whose envelope answers an unknown path or a wrong method
    # GET /_mock/metrics: counted by the observer of every request, read by a registry of this app's
    specs = {**{dialect.name: dialect.spec for dialect in served}, ControlDialect.name: control_spec}
    counts = RequestMetrics(operations_of(specs), lambda path: dialect_for(answering, path).name,
                            answered_statuses(specs.values()))
    log = None if settings.quiet else AccessLog(settings.log_format, threaded=settings.access_log_thread)
    registry = metrics_registry(SandboxCollector(counts, sandbox, node, log))
    control = ControlDialect(control_spec, sandbox, scopes, lambda: exposition(registry))
    answering += [*served, control]

    def error_response(request: Request, error: MockError) -> Response:
        dialect = dialect_for(answering, request.url.path)
        world = sandbox.world_of(request.headers) or sandbox.default_world
        return render(dialect.error_reply(error, request_id_of(request.scope), world.now()))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            allowed = (exc.headers or {}).get("Allow", "").split(", ")
            return error_response(request, MethodNotAllowed(request.method, allowed))
        if exc.status_code == 404:
            path = request.url.path
            return error_response(request, NotFound("path", path, f"no operation at {request.method} {path}"))
        return error_response(request, InternalError(str(exc.detail)))

    def spec_file(spec: Spec) -> Endpoint:
        async def endpoint(request: Request) -> Response:  # the bytes the engine compiled
            return Response(spec.source, media_type="application/json")

        return endpoint

    operations = [build_routes(dialect, sandbox) for dialect in (*served, control)]
    contracts = {kind.name: Contract(kind.title, kind.document) for kind, _ in kinds_served}
    routes = [
        *operations,
        *(Route(kind.document, spec_file(d.spec), methods=["GET"]) for kind, d in kinds_served),
        *docs_routes({**contracts, "control": Contract("Control API (/_mock)", "/_mock/openapi.json")}),
        *console_routes(),
    ]

    # the request journal and the access log; nothing to observe: not even the cost of looking
    recorder = None
    if log is not None or settings.journal_size:
        recorder = Recorder(sandbox, log, scopes, control_spec.base_path, anonymous=not settings.admin_token)

    def refusal(scope: Scope, error: MockError) -> ASGIApp:
        """A request refused before any work (its headers), in the envelope its path falls under."""
        reply = dialect_for(answering, scope["path"]).error_reply(error, request_id_of(scope),
                                                                   sandbox.default_world.now())
        return render(reply)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if persistence is not None:
            await persistence.ready()  # replay the state file before anything else runs
        if node is not None:
            await node.open()
        run = functools.partial(run_due, node) if node is not None else None  # the cluster's pump
        tasks = [
            asyncio.create_task(sandbox.outbox.run()),
            asyncio.create_task(pump(sandbox.wakeups, run=run)),
        ]
        if persistence is not None:
            tasks.append(asyncio.create_task(persistence.heartbeat()))
        if node is not None and node.registry is not None:  # `--ownership`
            tasks.append(asyncio.create_task(keep_spreading(node, settings.idle_evict)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if log is not None:
                log.close()  # the last lines, written before the process exits
            if persistence is not None:
                persistence.close()
            if node is not None:
                await node.close()

    def answer_error(scope: Scope, error: MockError) -> Response:
        """An error answered outside the pipeline, in the envelope of the API the path is under."""
        request_id = scope.get("state", {}).get("request_id") or sandbox.new_request_id()
        reply = dialect_for(answering, scope["path"]).error_reply(error, request_id, time.time())
        reply.headers.setdefault("X-Request-Id", request_id)
        return render(reply)

    def front(stack: ASGIApp) -> ASGIApp:
        tables = [spec_routes.table for spec_routes in operations]
        counts.then = recorder  # the journal and the access log, then the counts: one observer
        fronted: ASGIApp = Front(stack, tables, sandbox.new_request_id, counts.observe, refusal)
        if node is not None:
            fronted = ClusterMiddleware(fronted, node)
        elif persistence is not None:
            fronted = JournalMiddleware(fronted, persistence)
        # /_mock/mcp: a client of everything below it, so it sits in front of it all, behind the
        # Host and cross-site checks of the guard (its own requests inside carry the same Host)
        mcp = McpMount(
            fronted,
            orjson.loads(control.spec.source),
            admin_token=bool(settings.admin_token),
            max_body_bytes=settings.max_body_bytes,
        )
        hosts = HostPolicy(settings.listen_host, settings.allowed_hosts)
        guarded = Guard(mcp, hosts, control.spec.base_path, answer_error)
        if node is not None and node.registry is not None:  # `--ownership`: see cluster/forwarding.py
            return Receiving(guarded, node.registry, node.mark_stale)
        return guarded

    app = SandboxApp(
        front=front, routes=routes, lifespan=lifespan, exception_handlers={HTTPException: http_error}
    )
    # `/_mock/health/` is a 404 in the envelope, not a redirect to a Location built from `Host`
    app.router.redirect_slashes = False
    if persistence is not None:
        persistence.app = app
    if node is not None:
        node.answer_error = answer_error
    app.state.sandbox = sandbox
    app.state.specs = {dialect.name: dialect.spec for dialect in (*served, control)}
    app.state.persistence = persistence
    app.state.node = node  # `serve` tells it where it listens (ownership's advertised URL)
    # (before it stops listening: the request journal's gathered entries written, `mock_server/server.py`)
    app.state.before_shutdown = node.journal.hurry if node is not None else None
    return app
