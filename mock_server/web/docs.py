"""/docs: one interactive API reference page per served contract, with Swagger UI from the package.

Swagger UI's files come from the `swagger-ui-bundle-v2` wheel, served from disk (works offline).
Each page fetches its contract from the URL the sandbox serves it at and points "Try it out" at
this sandbox (see static/docs.js), so the list of pages is only data: contract name → its title and
document URL.
"""

from __future__ import annotations

import html
import importlib.util
import re
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "static" / "docs"


class Contract(NamedTuple):
    title: str
    url: str  # where this sandbox serves its document


def swagger_ui_dir() -> Path:
    """The newest Swagger UI 5 in the installed bundle. Located without importing the package: a
    Swagger UI 4 copy of `swagger_ui_bundle` (Connexion's) may sit beside it and cannot read
    OpenAPI 3.1."""
    found = importlib.util.find_spec("swagger_ui_bundle")
    roots = list(found.submodule_search_locations or []) if found is not None else []
    versions = [
        (version, candidate)
        for root in roots
        for candidate in (Path(root) / "vendor").glob("swagger-ui-*")
        if (match := re.fullmatch(r"swagger-ui-(\d+)\.(\d+)\.(\d+)", candidate.name))
        and (version := tuple(int(part) for part in match.groups()))[0] >= 5
    ]
    if not versions:
        raise RuntimeError("Swagger UI 5 is missing: pip install swagger-ui-bundle-v2")
    return max(versions)[1]


def _page(title: str, body: str, head: str = "") -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        '<link rel=stylesheet href="/docs/static/docs.css">'
        f"{head}</head><body>{body}</body></html>"
    )


def _nav(contracts: Mapping[str, Contract], current: str | None) -> str:
    links = "".join(
        f'<a href="/docs/{html.escape(name)}"{" aria-current=page" if name == current else ""}>'
        f"{html.escape(contract.title)}</a>"
        for name, contract in contracts.items()
    )
    return (
        '<nav class=docs-nav><a class=home href="/docs">Batch Calls sandbox · API reference</a>'
        f'{links}<a href="/_mock/console">Console</a></nav>'
    )


def docs_routes(contracts: Mapping[str, Contract]) -> list[BaseRoute]:
    """`/docs` (the index) and `/docs/{name}` for each contract: name → its title and the URL its
    document is served at by this sandbox (e.g. {"truedy": Contract("Truedy API", "/openapi.json")}).
    Adding a contract is one entry."""

    async def index(request: Request) -> Response:
        items = "".join(
            f'<li><a href="/docs/{html.escape(name)}">{html.escape(title)}</a>'
            f' <code>{html.escape(url)}</code></li>'
            for name, (title, url) in contracts.items()
        )
        return _page(
            "API reference · Batch Calls sandbox",
            f"{_nav(contracts, None)}<main class=docs-index><h1>API reference</h1>"
            f"<p>One page per contract this sandbox serves. Requests sent with “Try it out” go to this "
            f"sandbox: “Authorize” with the credentials of its start banner (by default the key "
            f"<code>sk_test_sandbox</code>, Zudu's pair <code>zk_test_sandbox</code> / "
            f"<code>zs_test_sandbox</code>).</p><ul class=contracts>{items}</ul></main>",
        )

    async def reference(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in contracts:
            names = ", ".join(contracts)
            return HTMLResponse(f"no contract '{html.escape(name)}' here; served: {names}", 404)
        title, url = contracts[name]
        return _page(
            f"{title} · API reference",
            f'{_nav(contracts, name)}<div id=swagger-ui data-spec-url="{html.escape(url)}"></div>'
            '<script src="/docs/swagger-ui/swagger-ui-bundle.js"></script>'
            '<script src="/docs/static/docs.js"></script>',
            head='<link rel=stylesheet href="/docs/swagger-ui/swagger-ui.css">',
        )

    return [
        Route("/docs", index, methods=["GET"]),
        Mount("/docs/swagger-ui", StaticFiles(directory=swagger_ui_dir()), name="swagger-ui"),
        Mount("/docs/static", StaticFiles(directory=STATIC), name="docs-static"),
        Route("/docs/{name}", reference, methods=["GET"]),
    ]
