"""The HTML readiness report in a real browser: Debian's chromium driven by Playwright's Python
package (no browser download). Skipped where chromium is absent, except in CI, where it must run."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support import live_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# as root, and quiet on a closed network (it would otherwise look up Google's hosts at every start)
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CAMPAIGN = {"name": "Ready", "agent_id": "agt_sandbox_ready", "contacts": [{"phone_number": "+15550100001"}]}


def _browser_or_skip() -> Any:
    missing = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "the playwright package is not installed"
    if missing is None and not Path(CHROMIUM).exists():
        missing = f"no chromium at {CHROMIUM}"
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the browser test must run in CI: {missing}")
        pytest.skip(missing)
    return sync_playwright


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    sync_playwright = _browser_or_skip()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser.new_page()
        finally:
            browser.close()


def test_the_html_report_renders_offline_with_every_check(page: Any) -> None:
    with live_server("--clock", "manual") as base:
        key = httpx.post(f"{base}/_mock/workspaces").json()["api_key"]
        auth = {"Authorization": f"Bearer {key}"}
        assert httpx.post(f"{base}/_mock/readiness/start", headers=auth).status_code == 201
        httpx.post(f"{base}/api/public/v1/batch-calls", json=CAMPAIGN, headers=auth)  # no key: fails
        html = httpx.get(f"{base}/_mock/readiness", params={"format": "html"}, headers=auth).text
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_content(html, wait_until="load")
    assert page.title() == "Client readiness: not_ready"
    verdict = page.locator("#verdict")
    assert verdict.inner_text() == "not_ready" and verdict.is_visible()
    colour = verdict.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(207, 34, 46)"  # the inline stylesheet applied: red for not ready
    rows = page.locator("tbody tr[data-status]")  # the checks' (the coverage table follows)
    assert rows.count() == 10
    assert page.locator("#coverage").inner_text().startswith("coverage: 1 of 22 operations")
    failed = page.locator('tr[data-status="failed"]')
    assert "idempotency_key_on_create" in failed.first.inner_text()
    assert page.locator("#idempotency_key_on_create .advice").is_visible()
    assert [url for url in requests if not url.startswith(("about:", "data:"))] == []  # nothing fetched
    assert errors == []
