"""The app factory: one sandbox, the dialects it serves, the control API, one error mapping."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from mock_server.control import control_routes
from mock_server.core.clock import RealClock
from mock_server.core.errors import InternalError, MethodNotAllowed, MockError, NotFound
from mock_server.defects import with_defects
from mock_server.dialects.truedy.dialect import TruedyDialect
from mock_server.engine.middleware import RequestIdMiddleware, request_id_of
from mock_server.engine.pipeline import build_routes, render
from mock_server.engine.spec import load_spec
from mock_server.sandbox import Sandbox
from mock_server.settings import Settings


async def pump(sandbox: Sandbox, idle_seconds: float = 1.0) -> None:
    """Real clock: run due calls as they fall due, so events and webhooks flow without requests."""
    while True:
        sandbox.catch_up()
        due = sandbox.dispatcher.next_due()
        wait = idle_seconds
        if isinstance(sandbox.clock, RealClock) and due is not None:
            wait = min(idle_seconds, max(0.0, (due - sandbox.now()) / sandbox.clock.speed))
        await asyncio.sleep(max(wait, 0.005))


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    sandbox = Sandbox(settings)
    spec = load_spec(settings.spec_path)
    dialect = with_defects(TruedyDialect(spec, sandbox), settings.defects)  # test-only defects

    def error_response(request: Request, error: MockError) -> Response:
        return render(dialect.error_reply(error, request_id_of(request.scope), sandbox.now()))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            allowed = (exc.headers or {}).get("Allow", "").split(", ")
            return error_response(request, MethodNotAllowed(request.method, allowed))
        if exc.status_code == 404:
            error: MockError = NotFound("path", request.url.path)
            error.message = f"no operation at {request.method} {request.url.path}"
            return error_response(request, error)
        return error_response(request, InternalError(str(exc.detail)))

    async def spec_file(request: Request) -> Response:
        return FileResponse(settings.spec_path, media_type="application/json")

    routes = [
        *build_routes(dialect, sandbox),
        *control_routes(sandbox),
        Route("/openapi.json", spec_file, methods=["GET"]),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(sandbox.outbox.run()), asyncio.create_task(pump(sandbox))]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(RequestIdMiddleware, new_id=sandbox.new_request_id)],
        exception_handlers={HTTPException: http_error},
    )
    app.state.sandbox = sandbox
    app.state.spec = spec
    return app
