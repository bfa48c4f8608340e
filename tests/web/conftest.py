"""A real browser for the tests of /docs and the console: Debian's chromium, driven by Playwright.

Playwright's own browser download is never used (no `playwright install`): the tests launch the
system's /usr/bin/chromium, which scripts/test installs with apt-get. Without it the browser tests
skip on a developer's machine and fail in CI (CI=true), so CI cannot pass without running them.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Request, Route, sync_playwright
from support import live_server

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
START_AT = "2026-03-02T08:00:00Z"  # a Monday, 03:00 in New York


# one per module, not per session: Playwright's sync API runs its event loop in this thread while
# it is started, and a later test of the same xdist worker calling `asyncio.run` would fail
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not (CHROMIUM.exists() or shutil.which(str(CHROMIUM))):
        message = f"no chromium at {CHROMIUM}: apt-get install chromium"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def serve() -> Callable[..., AbstractContextManager[str]]:
    """`with serve(*more_flags) as base_url:` a real `python -m mock_server serve` on a manual clock
    that starts on Monday 2 March 2026 08:00 UTC, on a free loopback port."""
    return functools.partial(live_server, "--clock", "manual", "--start-at", START_AT)


@pytest.fixture
def sandbox_url(serve: Callable[..., AbstractContextManager[str]]) -> Iterator[str]:
    with serve() as base:
        yield base


@pytest.fixture
def page(browser: Browser, sandbox_url: str) -> Iterator[Page]:
    """A fresh page (own storage) that may reach nothing but the sandbox: every request is recorded
    in `page.requested` and any other host is refused."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    requested: list[str] = []

    def only_the_sandbox(route: Route, request: Request) -> None:
        requested.append(request.url)
        if request.url.startswith(sandbox_url + "/") or request.url == sandbox_url:
            route.continue_()
        else:
            route.abort()

    context.route("**/*", only_the_sandbox)
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    opened.requested = requested  # type: ignore[attr-defined]
    yield opened
    context.close()
