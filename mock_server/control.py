"""The control API under /_mock: health, reset, workspaces, the clock, events, sandbox faults.

Outside the public base path and outside the contract; its answers are plain JSON.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from mock_server import __version__, readiness
from mock_server.core.clock import ManualClock
from mock_server.core.timefmt import parse_timestamp
from mock_server.engine.faults import rule_from_json
from mock_server.engine.incoming import changes_state
from mock_server.fixtures import fixture_ids
from mock_server.sandbox import Sandbox
from mock_server.store.base import Workspace
from mock_server.webhooks import delivery_json
from mock_server.world import ClockLimitExceeded, WorkspaceWorld

PREFIX = "/_mock"
ADMIN_HEADER = "x-mock-admin-token"
Endpoint = Callable[[Request], Awaitable[Response]]


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "details": None}}, status)


def control_routes(sandbox: Sandbox) -> list[Route]:
    def is_admin(request: Request) -> bool:
        token = sandbox.settings.admin_token
        given = request.headers.get(ADMIN_HEADER, "")
        return bool(token) and hmac.compare_digest(given.encode(), (token or "").encode())

    def has_credentials(request: Request) -> bool:
        headers = request.headers
        return bool(headers.get("authorization", "").strip() or headers.get("x-api-key", "").strip())

    def guarded(endpoint: Endpoint, *, whole_sandbox: bool = False) -> Endpoint:
        async def check(request: Request) -> Response:
            token = sandbox.settings.admin_token
            if token and (whole_sandbox or not has_credentials(request)) and not is_admin(request):
                return _error(401, "unauthorized", f"send the admin token in {ADMIN_HEADER}")
            try:
                return await endpoint(request)
            finally:
                if changes_state(request.method):
                    world = sandbox.world_of(request.headers)
                    if world is not None:
                        world.note_write()

        return check

    def world_of(request: Request) -> WorkspaceWorld | None:
        """The world of a Truedy key (Authorization) or a Zudu pair (X-API-KEY, X-API-SECRET); the
        default world without credentials."""
        return sandbox.world_of(request.headers)

    def workspace_of(request: Request) -> Workspace | None:
        world = world_of(request)
        return world.workspace if world is not None else None

    def zudu_pair(workspace: Workspace) -> dict[str, str] | None:
        if workspace.key_pair is None:
            return None
        return {"api_key": workspace.key_pair[0], "api_secret": workspace.key_pair[1]}

    async def json_body(request: Request) -> dict[str, Any] | None:
        raw = await request.body()
        if not raw:
            return {}
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return None
        return body if isinstance(body, dict) else None

    def unknown() -> JSONResponse:
        return _error(401, "unauthorized", "unknown API key")

    async def health(request: Request) -> Response:
        world = world_of(request)
        if world is None:
            return unknown()
        return JSONResponse({"status": "ok", "version": __version__, "clock": world.clock_json()})

    async def reset(request: Request) -> Response:
        if request.query_params.get("scope") == "all":
            if sandbox.settings.admin_token and not is_admin(request):
                return _error(401, "unauthorized", f"send the admin token in {ADMIN_HEADER}")
            sandbox.reset_all()
            world: WorkspaceWorld | None = sandbox.default_world
        else:
            world = world_of(request)
            if world is None:
                return unknown()
            world.reset()
        assert world is not None
        return JSONResponse(
            {
                "status": "reset",
                "workspace_id": world.id,
                "api_key": world.workspace.api_key,
                "zudu": zudu_pair(world.workspace),
            }
        )

    async def new_workspace(request: Request) -> Response:
        workspace = sandbox.add_world(sandbox.new_world_config()).workspace
        return JSONResponse(
            {
                "workspace_id": workspace.id,
                "api_key": workspace.api_key,
                "zudu": zudu_pair(workspace),  # X-API-KEY and X-API-SECRET of Zudu's API
                "webhook_secret": workspace.webhook_secret,
                "fixtures": fixture_ids(),
            },
            201,
        )

    async def get_clock(request: Request) -> Response:
        world = world_of(request)
        if world is None:
            return unknown()
        world.catch_up()
        return JSONResponse(world.clock_json())

    async def advance_clock(request: Request) -> Response:
        world = world_of(request)
        if world is None:
            return unknown()
        if not isinstance(world.clock, ManualClock):
            return _error(409, "clock_not_manual", "start the sandbox with --clock manual to advance")
        body = await json_body(request)
        if body is None:
            return _error(400, "invalid_json", 'send {"seconds": N} or {"until": "<RFC 3339>"}')
        now = world.now()
        seconds, until = body.get("seconds"), body.get("until")
        if isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds >= 0:
            target = now + float(seconds)
        elif isinstance(until, str):
            try:
                target = parse_timestamp(until, ("body", "until"))
            except Exception:
                return _error(422, "validation_error", "until must be an RFC 3339 date-time")
            if target < now:
                return _error(422, "validation_error", "until is before the current time")
        else:
            return _error(422, "validation_error", 'send {"seconds": N} (N >= 0) or {"until": "<RFC 3339>"}')
        try:
            ran = world.advance(target)
        except ClockLimitExceeded as exc:
            return _error(422, "validation_error", str(exc))
        return JSONResponse({**world.clock_json(), "events_processed": ran})

    async def events(request: Request) -> Response:
        workspace = workspace_of(request)
        if workspace is None:
            return _error(401, "unauthorized", "unknown API key")
        entries = sandbox.worlds[workspace.id].events()
        return JSONResponse({"data": entries, "total": len(entries)})

    async def get_webhook(request: Request) -> Response:
        workspace = workspace_of(request)
        if workspace is None:
            return _error(401, "unauthorized", "unknown API key")
        return JSONResponse({"url": workspace.webhook_url, "secret": workspace.webhook_secret})

    async def set_webhook(request: Request) -> Response:
        workspace = workspace_of(request)
        if workspace is None:
            return _error(401, "unauthorized", "unknown API key")
        body = await json_body(request)
        url = body.get("url") if body is not None else None
        secret = body.get("secret") if body is not None else None
        if url is not None and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
            return _error(422, "validation_error", "url must be an http(s) URL or null")
        if secret is not None and not (isinstance(secret, str) and secret):
            return _error(422, "validation_error", "secret must be a non-empty string")
        if body is None:
            return _error(400, "invalid_json", 'send {"url": "http://…", "secret": "…"}')
        workspace.webhook_url = url
        if secret is not None:
            workspace.webhook_secret = secret
        return JSONResponse({"url": workspace.webhook_url, "secret": workspace.webhook_secret})

    async def deliveries(request: Request) -> Response:
        workspace = workspace_of(request)
        if workspace is None:
            return _error(401, "unauthorized", "unknown API key")
        found = [delivery_json(d) for d in sandbox.outbox.deliveries(workspace.id)]
        return JSONResponse({"data": found, "total": len(found)})

    async def fail_next_schedule(request: Request) -> Response:
        workspace = workspace_of(request)
        if workspace is None:
            return _error(401, "unauthorized", "unknown API key")
        workspace.fail_next_schedule = True
        return JSONResponse({"fail_next_schedule": True})

    async def provider_error(request: Request) -> Response:
        """A simulated provider error fails a batch call that is scheduled, active or paused."""
        workspace = workspace_of(request)
        if workspace is None:
            return _error(401, "unauthorized", "unknown API key")
        body = await json_body(request)
        batch_id = body.get("batch_call_id") if body is not None else None
        if not isinstance(batch_id, str):
            return _error(422, "validation_error", 'send {"batch_call_id": "<id>"}')
        world = sandbox.worlds[workspace.id]
        batch = world.store.batches(workspace.id).get(batch_id)
        if batch is None:
            return _error(404, "not_found", f"no batch call '{batch_id}' in this workspace")
        if batch.status not in ("scheduled", "active", "paused"):
            return _error(409, "invalid_state", "only a scheduled, active or paused batch call can "
                          f"fail; this one is {batch.status}")
        world.dispatcher.fail(batch, world.now())
        return JSONResponse({"batch_call_id": batch.id, "status": batch.status})

    async def start_readiness(request: Request) -> Response:
        world = world_of(request)
        if world is None:
            return unknown()
        return JSONResponse(world.start_readiness().as_json(), 201)

    async def readiness_report(request: Request) -> Response:
        world = world_of(request)
        if world is None:
            return unknown()
        fmt = request.query_params.get("format", "json")
        if fmt not in ("json", "md", "html"):
            violation = {"loc": ["query", "format"], "msg": "format must be json, md or html", "type": "enum"}
            details = {"violations": [violation], "count": 1}
            message = "1 validation error in the request"
            error = {"code": "validation_error", "message": message, "details": details}
            return JSONResponse({"error": error}, 422)
        if world.readiness is None:
            return _error(404, "readiness_not_started", "arm a session first: POST /_mock/readiness/start")
        receiver_set = world.workspace.webhook_url is not None
        report = world.readiness.report(sandbox.outbox.deliveries(world.id), receiver_set)
        if fmt == "md":
            return PlainTextResponse(readiness.markdown(report), media_type="text/markdown; charset=utf-8")
        if fmt == "html":
            return HTMLResponse(readiness.html(report))
        return JSONResponse(report.as_json())

    async def list_faults(request: Request) -> Response:
        world = world_of(request)
        if world is None:
            return unknown()
        rules = [rule.as_json() for rule in world.faults.rules()]
        return JSONResponse({"data": rules, "total": len(rules)})

    async def add_fault(request: Request) -> Response:
        world = world_of(request)
        if world is None:
            return unknown()
        body = await json_body(request)
        if body is None:
            return _error(400, "invalid_json", "send a JSON object describing the rule")
        try:
            rule = rule_from_json(world.new_id("fault"), body)
        except ValueError as exc:
            return _error(422, "validation_error", str(exc))
        world.faults.add(rule)
        return JSONResponse(rule.as_json(), 201)

    async def remove_fault(request: Request) -> Response:
        world = world_of(request)
        if world is None:
            return unknown()
        if not world.faults.remove(request.path_params["fault_id"]):
            return _error(404, "not_found", "no fault rule with that id")
        return Response(status_code=204)

    async def clear_faults(request: Request) -> Response:
        world = world_of(request)
        if world is None:
            return unknown()
        world.faults.clear()
        return Response(status_code=204)

    table: list[tuple[str, str, Endpoint]] = [
        ("/health", "GET", health),
        ("/reset", "POST", reset),
        ("/workspaces", "POST", new_workspace),  # whole sandbox
        ("/clock", "GET", get_clock),
        ("/clock/advance", "POST", advance_clock),
        ("/events", "GET", events),
        ("/faults/scheduling", "POST", fail_next_schedule),
        ("/faults/provider-error", "POST", provider_error),
        ("/faults", "GET", list_faults),
        ("/faults", "POST", add_fault),
        ("/faults", "DELETE", clear_faults),
        ("/faults/{fault_id}", "DELETE", remove_fault),
        ("/webhooks", "GET", get_webhook),
        ("/webhooks", "PUT", set_webhook),
        ("/webhooks/deliveries", "GET", deliveries),
        ("/readiness/start", "POST", start_readiness),
        ("/readiness", "GET", readiness_report),
    ]
    whole_sandbox = {new_workspace}
    return [
        Route(PREFIX + path, guarded(fn, whole_sandbox=fn in whole_sandbox), methods=[method])
        for path, method, fn in table
    ]
