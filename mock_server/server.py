"""uvicorn's server, which lets the app act before it stops listening (`app.state.before_shutdown`).

uvicorn tells an app of its shutdown (the lifespan's) only once it has stopped listening and its
connections are done. An instance of a shared sandbox must write what it still holds for its
workspaces before that: from the moment it refuses connections, another instance serves them.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import cast

import uvicorn

log = logging.getLogger("batchcalls.server")

# at most (as long as a request waits for a pool connection), then the shutdown goes on
BEFORE_SHUTDOWN_SECONDS = 2.0


class Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, before_shutdown: Callable[[], Awaitable[None]] | None) -> None:
        super().__init__(config)
        self.before_shutdown = before_shutdown

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.before_shutdown is not None:
            try:
                await asyncio.wait_for(self.before_shutdown(), BEFORE_SHUTDOWN_SECONDS)
            except TimeoutError:
                log.warning("not done within %.0f s before the shutdown", BEFORE_SHUTDOWN_SECONDS)
            except Exception:  # noqa: BLE001 - nothing it does may keep the server from stopping
                log.exception("before the shutdown")
        await super().shutdown(sockets)


def before_shutdown_of(app: object) -> Callable[[], Awaitable[None]] | None:
    """The app's `state.before_shutdown`, if it has one."""
    found = getattr(getattr(app, "state", None), "before_shutdown", None)
    return cast("Callable[[], Awaitable[None]]", found) if callable(found) else None
