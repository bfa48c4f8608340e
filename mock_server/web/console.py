"""/_mock/console: the live web console, one static page whose script reads the sandbox over HTTP.

The page holds no data: every batch, event, delivery and journal entry is fetched by the browser
with the workspace key (and admin token) typed into it, the same way a client would. So the page
itself needs no admin token, and the control API's own checks decide what it may see.
"""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "static" / "console"


def console_page() -> bytes:
    """The page itself, served by the control API's `get_console` operation."""
    return (STATIC / "console.html").read_bytes()


def console_routes() -> list[BaseRoute]:
    """`/_mock/console/static/…`: the page's script and style."""
    return [Mount("/_mock/console/static", StaticFiles(directory=STATIC), name="console-static")]
