"""An assistant as the MCP tests drive one: the SDK's own client, over stdio or Streamable HTTP.

The tests are synchronous; each drives a whole conversation inside one `anyio.run`, the way an
assistant's host keeps a connection open while the model calls tools one after the other.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import anyio
import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from support import CAMPAIGN

Conversation = Callable[["Assistant"], Awaitable[Any]]


class Assistant:
    """Calls tools and reads resources; a tool error fails the test unless the test expects it."""

    def __init__(self, client: Client) -> None:
        self.client = client

    async def call(self, tool: str, **arguments: Any) -> Any:
        result = await self.client.call_tool(tool, arguments)
        assert not result.is_error, f"{tool}({arguments}) failed: {result.content[0].text}"  # type: ignore[union-attr]
        if result.structured_content is None:
            return result.content[0].text  # type: ignore[union-attr]
        return result.structured_content

    async def refused(self, tool: str, **arguments: Any) -> dict[str, Any]:
        """The error a tool call ended in: `{"code", "message"}`, plus the status and answer."""
        result = await self.client.call_tool(tool, arguments)
        assert result.is_error, f"{tool}({arguments}) was not refused: {result.content}"
        structured: dict[str, Any] = result.structured_content
        assert result.content[0].text == f"{structured['error']['code']}: {structured['error']['message']}"  # type: ignore[union-attr]
        return {**structured["error"], "status": structured["status"], "answer": structured["answer"]}

    async def read(self, uri: str) -> str:
        contents = (await self.client.read_resource(uri)).contents
        return contents[0].text  # type: ignore[union-attr]


@contextlib.asynccontextmanager
async def over_stdio(*flags: str, mode: str = "auto") -> AsyncIterator[Assistant]:
    """`batchcalls-mock mcp FLAGS` as a subprocess, its standard error left to pytest. `mode`: the
    SDK's protocol era ("legacy": the initialize handshake most assistants speak today)."""
    command = StdioServerParameters(command=sys.executable, args=["-m", "mock_server", "mcp", *flags])
    async with Client(command, mode=mode) as client:
        yield Assistant(client)


@contextlib.asynccontextmanager
async def over_http(
    origin: str, headers: Mapping[str, str] | None = None, mode: str = "auto"
) -> AsyncIterator[Assistant]:
    """`/_mock/mcp` of the sandbox at `origin`, every request carrying `headers`."""
    async with httpx2.AsyncClient(headers=dict(headers or {}), timeout=60) as http:
        transport = streamable_http_client(f"{origin}/_mock/mcp", http_client=http)
        async with Client(transport, mode=mode) as client:
            yield Assistant(client)


def converse(
    connect: Callable[[], contextlib.AbstractAsyncContextManager[Assistant]], talk: Conversation
) -> Any:
    """Open a connection, hold the conversation, close; answers what `talk` answered."""

    async def run() -> Any:
        async with connect() as assistant:
            return await talk(assistant)

    return anyio.run(run)


# The README's walk-through, as an assistant runs it through MCP alone
API = "/api/public/v1"
START_AT = "2026-03-02T08:00:00Z"
END = "2026-03-04T22:00:00Z"
BODY = {**CAMPAIGN, "name": "Spring renewals"}
WORKSPACE = {"clock": "manual", "start_at": START_AT, "seed": 0}
SCHEDULE = f"{API}/batch-calls/{{batch_call_id}}/schedule"


async def walk_through(a: Assistant) -> dict[str, Any]:
    key = (await a.call("create_workspace", body=WORKSPACE))["api_key"]
    created = await a.call(
        "call_api",
        method="POST",
        path=f"{API}/batch-calls",
        body=BODY,
        idempotency_key="walkthrough-1",
        api_key=key,
    )
    assert created["status"] == 201 and created["headers"]["location"].startswith(f"{API}/batch-calls/batch_")
    batch = created["body"]["data"]["id"]
    refused = await a.refused("call_api", method="POST", path=f"{API}/batch-calls/{batch}/pause", api_key=key)
    assert refused["code"] == "invalid_state" and refused["status"] == 422
    assert (
        "draft" in refused["message"] and refused["answer"]["body"]["error"]["details"]["status"] == "draft"
    )
    scheduled = await a.call(
        "call_api", method="POST", path=f"{API}/batch-calls/{batch}/schedule", api_key=key
    )
    assert scheduled["body"]["data"]["status"] == "scheduled"
    moved = await a.call("advance_clock", body={"until": END}, api_key=key)
    assert moved["now"] == "2026-03-04T22:00:00.000000Z" and moved["events_processed"] > 0
    final = await a.call("call_api", method="GET", path=f"{API}/batch-calls/{batch}", api_key=key)
    analytics = await a.call(
        "call_api", method="GET", path=f"{API}/batch-calls/{batch}/analytics", api_key=key
    )
    journal = await a.call("list_requests", path=SCHEDULE, api_key=key)
    count = await a.call("count_requests", method="POST", path=f"{API}/batch-calls", api_key=key)
    events = await a.call("list_events", api_key=key)
    return {
        "final": final["body"]["data"],
        "analytics": analytics["body"]["data"],
        "journal": journal,
        "creates": count["count"],
        "events": events,
    }
