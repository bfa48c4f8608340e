"""Feeding one journaled request back through the app, at its recorded instant and outcome.

The state file replays its journal this way at start-up; a PostgreSQL-backed instance replays the
rows other instances appended to a workspace's shared log the same way (`mock_server.cluster`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from starlette.types import ASGIApp, Message, Scope

from mock_server.engine.seen import UNRECORDED
from mock_server.persistence.recording import CURRENT, Trace
from mock_server.persistence.state_file import Entry


def header_map(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Lower-case names, the first of repeated headers winning (as the engine reads them)."""
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in reversed(raw)}


async def replay(app: ASGIApp, entry: Entry, world_id: str | None, **trace: Any) -> int:
    """Handle `entry` again as it was handled the first time; returns the status it got now."""
    # `entry.path` is the path as the client sent it; `path` is it decoded, as the server decodes it
    scope: Scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
        "method": entry.method, "scheme": "http", "path": unquote(entry.path),
        "raw_path": entry.path.encode(), "query_string": entry.query, "root_path": "",
        "headers": entry.headers, "client": None, "server": ("replay", 0),
        "state": {UNRECORDED: True},  # rebuilding state, not a request: no journal, no log line
    }
    pending = [{"type": "http.request", "body": entry.body, "more_body": False}]
    status = 0

    async def receive() -> Message:
        return pending.pop() if pending else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    token = CURRENT.set(Trace(entry.wall, world_id, entry.at, replaying=True,
                              request_id=entry.request_id, fault=entry.fault, **trace))
    try:
        await app(scope, receive, send)
    except Exception:  # answered as a 500, which the status check reports
        status = status or 500
    finally:
        CURRENT.reset(token)
    return status
