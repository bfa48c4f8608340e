"""`/_mock/mcp`: the MCP server over Streamable HTTP, mounted in front of the sandbox's own stack.

Stateless, JSON answers: each POST carries one JSON-RPC message and its credentials, and any
instance of a shared sandbox can answer it (no session to keep, nothing that grows per client).
It sits in front of the sandbox (before the request ids, the journal, a state file's or a store's
middleware), as a client of it: each tool call is a request into the same stack a remote request
goes through, with the credentials (and Host and Origin) the MCP request came with. Before the SDK
reads a message, the credentials are put to the control API (`GET /_mock/requests/count`, which is
not journaled): anything but a 200 is answered as the control API answered it, so the endpoint
refuses exactly whom the control API refuses.

The MCP SDK is imported, and its server built, at the first request to the endpoint: a second of
start-up every sandbox would pay otherwise, most of them never asked for MCP.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import anyio
import httpx
import orjson
from anyio import CancelScope
from anyio.abc import TaskGroup, TaskStatus
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server.mcp_server.sandbox_client import Credentials, SandboxClient

if TYPE_CHECKING:
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

PATH = "/_mock/mcp"
PROBE = "/_mock/requests/count"  # a world operation that is not journaled
HOSTED = (
    "this sandbox runs with --admin-token (a shared sandbox): its MCP endpoint runs no contract kit, "
    "which would send requests wherever a tenant says from inside the host's network; run "
    "batchcalls-contract yourself, or `batchcalls-mock mcp` on your own machine"
)
INSTRUCTIONS = (
    "Tools of a Batch Calls sandbox (a simulated Truedy/Zudu outbound calling API). Each tool acts "
    "with the credentials of this connection (its Authorization, X-API-KEY/X-API-SECRET or "
    "X-Mock-Admin-Token headers), or a workspace's key given as `api_key`. Start with the resources "
    "(the OpenAPI documents), create a workspace with a manual clock, drive the public API with "
    "`call_api`, move time with `advance_clock`, and read `list_requests` to see what was sent."
)
INVALID_REQUEST = -32600  # JSON-RPC's code, as the SDK answers its own refusals of a request


def _rpc_error(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    body = {"jsonrpc": "2.0", "id": None, "error": {"code": INVALID_REQUEST, "message": message}}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


class McpMount:
    """The sandbox's ASGI app with `/_mock/mcp` answered by the MCP server in front of it."""

    def __init__(
        self, app: ASGIApp, control_document: Mapping[str, Any], *, admin_token: bool, max_body_bytes: int
    ) -> None:
        self.app = app
        self.control_document = control_document
        self.admin_token = admin_token
        self.max_body_bytes = max_body_bytes
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        # the client's own address in the URL: every call carries the MCP request's Host instead
        self.sandbox = SandboxClient(httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1"))
        self._group: TaskGroup | None = None  # the app's lifespan, where the SDK's tasks live
        self._manager: StreamableHTTPSessionManager | None = None
        self._building = anyio.Lock()
        self._running: tuple[CancelScope, anyio.Event] | None = None  # the SDK's tasks: stop, stopped

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":

            async def stopped_first(message: Message) -> None:
                # the SDK's tasks end before the server hears that shutdown is complete: after it,
                # the server's loop closes and cancels what still runs (a traceback on every exit)
                if message["type"] == "lifespan.shutdown.complete" and self._running is not None:
                    scope, stopped = self._running
                    scope.cancel()
                    await stopped.wait()
                await send(message)

            async with anyio.create_task_group() as group:
                self._group = group
                try:
                    await self.app(scope, receive, stopped_first)
                finally:
                    self._group = None
                    group.cancel_scope.cancel()
            return
        if scope["type"] != "http" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        if scope["method"] != "POST":
            answer = _rpc_error(405, "POST a JSON-RPC message: this endpoint is stateless", {"Allow": "POST"})
            await answer(scope, receive, send)
            return
        if self._group is None:
            await _rpc_error(503, "the MCP endpoint runs only while the server's lifespan does")(
                scope, receive, send
            )
            return
        headers = Headers(scope=scope)
        probe = await self.sandbox.send(
            Credentials.forwarded(headers), "GET", PROBE, query={"request_id": "-"}
        )
        if probe.status != 200:
            kept = {
                k: v
                for k, v in probe.headers.items()
                if k in ("content-type", "www-authenticate", "retry-after")
            }
            await Response(probe.content, status_code=probe.status, headers=kept)(scope, receive, send)
            return
        manager = await self._started(self._group)
        await manager.handle_request(scope, receive, send)

    async def _started(self, group: TaskGroup) -> StreamableHTTPSessionManager:
        """The SDK's session manager, built and running (in the lifespan's task group) at first use."""
        async with self._building:
            if self._manager is None:
                from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

                from mock_server.mcp_server.kit_tool import ContractKit, KitPolicy
                from mock_server.mcp_server.server import Toolbox, build_server, forwarded_credentials

                kit = ContractKit(KitPolicy(None, HOSTED) if self.admin_token else KitPolicy())
                toolbox = Toolbox(self.sandbox, self.control_document, kit)
                manager = StreamableHTTPSessionManager(
                    app=build_server(toolbox, forwarded_credentials, INSTRUCTIONS),
                    json_response=True,
                    stateless=True,
                    max_request_body_size=self.max_body_bytes,
                )
                await group.start(self._run, manager)
                self._manager = manager
            return self._manager

    async def _run(self, manager: StreamableHTTPSessionManager, *, task_status: TaskStatus[None]) -> None:
        stopped = anyio.Event()
        try:
            with CancelScope() as scope:
                self._running = scope, stopped
                async with manager.run():
                    task_status.started()
                    await anyio.sleep_forever()
        finally:
            self._running = None
            stopped.set()
