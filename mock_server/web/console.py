"""/_mock/console: the live web console, one static page whose script reads the sandbox over HTTP.

The page holds no data: every batch, event, delivery and journal entry is fetched by the browser
with the workspace key (and admin token) typed into it, the same way a client would. So the page
itself needs no admin token, and the control API's own checks decide what it may see.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "static" / "console"


def console_routes() -> list[BaseRoute]:
    """`/_mock/console` (the page) and `/_mock/console/static/…` (its script and style)."""

    async def page(request: Request) -> Response:
        return FileResponse(STATIC / "console.html", media_type="text/html; charset=utf-8")

    return [
        Route("/_mock/console", page, methods=["GET"]),
        Mount("/_mock/console/static", StaticFiles(directory=STATIC), name="console-static"),
    ]
