"""The console in a real browser, on a real sandbox: a campaign created through the API appears,
"+1 day" runs it, the counters and the chart follow; the journal opens an entry; workspaces.

`UPDATE_SCREENSHOTS=1 pytest tests/web` rewrites docs/console.png, the README's picture."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser, Page, Request, Route, expect
from support import live_server

API = "/api/public/v1"
AUTH = {"Authorization": "Bearer sk_test_sandbox"}
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "console.png"


def new_scheduled_batch(base: str, **fields: Any) -> str:
    """A campaign of the demo folder's ten contacts, 09:00–17:00 New York, created and scheduled."""
    body = {
        "name": "Spring renewals", "agent_id": "agt_sandbox_ready", "contact_source": "folder",
        "contact_folder_id": "folder_sandbox_demo", "timezone": "America/New_York",
        "start_time": "09:00", "end_time": "17:00", "max_concurrent_calls": 1,
        "retry_failed": True, "max_retry_attempts": 2, **fields,
    }
    created = httpx.post(f"{base}{API}/batch-calls", json=body, headers=AUTH)
    assert created.status_code == 201, created.text
    batch_id: str = created.json()["data"]["id"]
    scheduled = httpx.post(f"{base}{API}/batch-calls/{batch_id}/schedule", headers=AUTH)
    assert scheduled.status_code == 200, scheduled.text
    return batch_id


def test_a_campaign_appears_and_one_simulated_day_runs_it(page: Page, sandbox_url: str) -> None:
    page.goto(f"{sandbox_url}/_mock/console")
    expect(page.locator("#clock-now")).to_have_text("2026-03-02 08:00:00Z")
    expect(page.get_by_text("No batch calls yet")).to_be_visible()

    batch_id = new_scheduled_batch(sandbox_url)
    row = page.locator(f"tr[data-batch-id='{batch_id}']")
    expect(row).to_be_visible()  # by polling: nothing was clicked
    expect(row.locator(".badge")).to_have_text("scheduled")
    expect(row.locator(".progress-text")).to_have_text("0 / 10")

    row.click()
    head = page.locator(".batch-head")
    expect(head.locator(".progress-text")).to_have_text("0 / 10")
    expect(page.locator("svg.chart rect.bar")).to_have_count(0)
    expect(page.locator("svg.chart")).to_contain_text("no calls yet")

    page.get_by_role("button", name="+1 day").click()
    expect(page.locator("#clock-now")).to_have_text("2026-03-03 08:00:00Z")
    expect(head.locator(".badge")).to_have_text("completed")
    expect(head.locator(".progress-text")).to_have_text("10 / 10")
    expect(head.locator("[data-counter=successful] b")).to_have_text("5")
    bars = page.locator("svg.chart rect.bar")
    expect(bars.first).to_be_visible()
    outcomes = {bars.nth(i).get_attribute("data-outcome") for i in range(bars.count())}
    assert outcomes == {"completed", "voicemail", "no_answer", "failed"}
    expect(page.locator("table.contacts tbody tr")).to_have_count(10)
    expect(page.locator(".timeline li").first).to_contain_text("batch.completed")

    answered = httpx.get(f"{sandbox_url}{API}/batch-calls/{batch_id}", headers=AUTH).json()["data"]
    assert answered["completed_contacts"] == 10 and answered["successful_contacts"] == 5
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        page.mouse.move(0, 0)
        page.screenshot(path=str(SCREENSHOT))


def test_to_the_end_runs_the_campaign_event_by_event(page: Page, sandbox_url: str) -> None:
    batch_id = new_scheduled_batch(sandbox_url, max_concurrent_calls=2)
    page.goto(f"{sandbox_url}/_mock/console#/batches/{batch_id}")
    expect(page.locator(".batch-head .badge")).to_have_text("scheduled")
    page.get_by_role("button", name="+1 hour").click()  # 04:00 in New York: still before the window
    expect(page.locator("#clock-now")).to_have_text("2026-03-02 09:00:00Z")
    expect(page.locator(".batch-head .badge")).to_have_text("scheduled")

    page.get_by_role("button", name="To the end").click()
    expect(page.locator(".batch-head .badge")).to_have_text("completed", timeout=60_000)
    clock = httpx.get(f"{sandbox_url}/_mock/clock").json()
    assert clock["now"] < "2026-03-03"  # stopped at the last event, not a day later
    expect(page.locator(".batch-head .progress-text")).to_have_text("10 / 10")


def test_the_journal_opens_an_entry_with_both_bodies(page: Page, sandbox_url: str) -> None:
    refused = httpx.post(f"{sandbox_url}{API}/batch-calls", json={"name": ""}, headers=AUTH)
    assert refused.status_code == 422
    page.goto(f"{sandbox_url}/_mock/console#/journal")
    if httpx.get(f"{sandbox_url}/_mock/requests", headers=AUTH).status_code == 404:
        expect(page.get_by_text("Journal not available")).to_be_visible()
        pytest.skip("this sandbox has no request journal yet (GET /_mock/requests answers 404)")
    entry = page.locator("tr.journal-entry", has_text="POST").first
    expect(entry).to_have_class("journal-entry clickable status-4xx invalid")
    entry.click()
    detail = page.locator("tr.journal-detail")
    expect(detail.locator(".request-body")).to_contain_text('"name": ""')
    expect(detail.locator(".response-body")).to_contain_text("string_too_short")


def test_a_new_workspace_is_its_own_world_and_listing_all_needs_the_admin_api(
    page: Page, sandbox_url: str
) -> None:
    new_scheduled_batch(sandbox_url)
    page.goto(f"{sandbox_url}/_mock/console#/workspaces")
    page.get_by_role("button", name="New workspace").click()
    expect(page.get_by_text("No batch calls yet")).to_be_visible()  # the new key sees none
    assert page.locator("#key").input_value().startswith("sk_")
    assert page.locator("#key").input_value() != "sk_test_sandbox"

    page.fill("#key", "sk_test_sandbox")
    page.fill("#admin-token", "any")
    page.get_by_role("button", name="Use").click()
    expect(page.locator("tr[data-batch-id]")).to_have_count(1)
    page.get_by_role("link", name="Workspaces").click()
    listed = httpx.get(f"{sandbox_url}/_mock/workspaces", headers={"X-Mock-Admin-Token": "any"})
    if listed.status_code in (404, 405):
        expect(page.get_by_text("Listing workspaces is not available")).to_be_visible()
    else:
        expect(page.locator("table.workspaces tbody tr")).not_to_have_count(0)


JOURNAL = {
    "total": 4, "dropped": 2,
    "data": [
        {
            "request_id": "req_000000000003", "received_at": "2026-12-01T03:00:02.000Z",
            "simulated_at": "2026-03-02T08:00:00.000000Z", "workspace_id": "ws_sandbox",
            "method": "POST", "path": "/api/public/v1/batch-calls", "query": {"dry": ["1"]},
            "operation_id": "create_batch_call",
            "request_headers": {"authorization": "Bearer …dbox", "content-type": "application/json"},
            "request_body": {"name": ""}, "status": 422,
            "response_headers": {"content-type": "application/json"},
            "response_body": {"detail": [{"loc": ["body", "name"], "msg": "too short", "type": "minLength"}]},
            "duration_ms": 1.25, "validation_errors": [{"loc": ["body", "name"], "msg": "too short"}],
            "idempotent_replay": False, "fault": None, "truncated": False,
        },
        {
            "request_id": "req_000000000002", "received_at": "2026-12-01T03:00:01.000Z",
            "simulated_at": "2026-03-02T08:00:00.000000Z", "workspace_id": "ws_sandbox",
            "method": "GET", "path": "/api/public/v1/agents", "query": "", "operation_id": "list_agents",
            "request_headers": {}, "request_body": None, "status": 503, "response_headers": {},
            "response_body": {"error": {"code": "service_unavailable"}}, "duration_ms": 0.4,
            "validation_errors": [], "idempotent_replay": False, "fault": {"id": "fault_1"},
            "truncated": False,
        },
        {
            "request_id": "req_000000000000", "received_at": "2026-12-01T03:00:00.000Z",
            "simulated_at": "2026-03-02T08:00:00.000000Z", "workspace_id": "ws_sandbox",
            "method": "GET", "path": "/_mock/clock", "query": "", "operation_id": None,
            "request_headers": {"x-mock-console": "1"}, "request_body": None, "status": 200,
            "response_headers": {}, "response_body": {}, "duration_ms": 0.1,
            "validation_errors": [], "idempotent_replay": False, "fault": None, "truncated": False,
        },
        {
            "request_id": "req_000000000001", "received_at": "2026-12-01T03:00:00.000Z",
            "simulated_at": "2026-03-02T08:00:00.000000Z", "workspace_id": "ws_sandbox",
            "method": "GET", "path": "/api/public/v1/batch-calls", "query": "limit=5",
            "operation_id": "list_batch_calls", "request_headers": {}, "request_body": None, "status": 200,
            "response_headers": {}, "response_body": {"data": []}, "duration_ms": 0.3,
            "validation_errors": [], "idempotent_replay": True, "fault": None, "truncated": False,
        },
    ],
}


def test_the_journal_view_highlights_failures_and_opens_both_bodies(page: Page, sandbox_url: str) -> None:
    """The console against the journal's documented shape (served here by the browser, so the view is
    tested whether or not this sandbox has the journal yet)."""
    asked: list[dict[str, str]] = []

    def journal(route: Route, request: Request) -> None:
        asked.append(request.headers)
        route.fulfill(status=200, content_type="application/json", body=json.dumps(JOURNAL))

    page.route(lambda url: url.startswith(f"{sandbox_url}/_mock/requests?"), journal)
    page.goto(f"{sandbox_url}/_mock/console#/journal")
    rows = page.locator("tr.journal-entry")
    expect(rows).to_have_count(3)
    expect(page.locator(".card h2 small")).to_have_text(
        "4 kept, 2 dropped, newest first; 1 of this console's own requests not shown"
    )
    expect(rows.nth(0)).to_have_class("journal-entry clickable status-4xx invalid")
    expect(rows.nth(0)).to_contain_text("POST /api/public/v1/batch-calls?dry=1")
    expect(rows.nth(1)).to_have_class("journal-entry clickable status-5xx")
    expect(rows.nth(1)).to_contain_text("fault")
    expect(rows.nth(2)).to_have_class("journal-entry clickable")
    expect(rows.nth(2)).to_contain_text("idempotent replay")
    assert asked[0]["authorization"] == "Bearer sk_test_sandbox"
    assert asked[0]["x-mock-console"] == "1"

    rows.nth(0).click()
    detail = page.locator("tr.journal-detail")
    expect(detail).to_have_count(1)
    expect(detail.locator(".request-body")).to_contain_text('"name": ""')
    expect(detail.locator(".response-body")).to_contain_text("minLength")
    expect(detail.locator(".validation")).to_contain_text("too short")
    page.wait_for_timeout(2000)  # a poll or more later the entry is still open
    expect(page.locator("tr.journal-detail")).to_have_count(1)
    rows.nth(0).click()
    expect(page.locator("tr.journal-detail")).to_have_count(0)


def test_with_an_admin_token_the_console_sends_it_and_the_control_api_answers(
    browser: Browser, serve: Callable[..., AbstractContextManager[str]]
) -> None:
    with serve("--admin-token", "t0ken", "--api-key", "sk_test_sandbox") as base:  # the key, given
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(f"{base}/_mock/console")  # the page itself is open: it holds no data
            # the workspace's own key is enough for its own world: no admin token for the clock
            expect(page.locator("#clock-now")).to_have_text("2026-03-02 08:00:00Z")
            page.get_by_role("button", name="+1 day").click()
            expect(page.locator("#clock-now")).to_have_text("2026-03-03 08:00:00Z")
            # listing every workspace is the admin's: refused until the token is entered
            page.goto(f"{base}/_mock/console#/workspaces")
            expect(page.locator("#view")).to_contain_text("Enter the admin token")
            page.fill("#admin-token", "t0ken")
            page.get_by_role("button", name="Use").click()
            page.evaluate("location.hash = '#/workspaces'")
            expect(page.locator("table.workspaces")).to_contain_text("sk_test_sandbox")
        finally:
            context.close()
    assert base.startswith("http://127.0.0.1:")


@pytest.mark.real_clock
def test_on_a_real_clock_the_page_follows_a_running_campaign_by_itself(browser: Browser) -> None:
    """No button is pressed: the console's polling shows the calls as the sped-up clock runs them.
    The clock starts on a Monday morning and the campaign has no window: its calls are due at once,
    whatever day the test runs on (ten calls of a few simulated minutes: a few seconds at x600)."""
    with live_server("--clock", "real", "--speed", "600", "--start-at", "2026-03-02T08:00:00Z") as base:
        context = browser.new_context()
        try:
            page = context.new_page()
            created = httpx.post(f"{base}{API}/batch-calls", headers=AUTH, json={
                "name": "Live", "agent_id": "agt_sandbox_ready", "contact_source": "folder",
                "contact_folder_id": "folder_sandbox_demo", "max_concurrent_calls": 1,
            })
            batch_id = created.json()["data"]["id"]
            page.goto(f"{base}/_mock/console#/batches/{batch_id}")
            expect(page.locator(".batch-head .badge")).to_have_text("draft")
            expect(page.get_by_role("button", name="+1 day")).to_be_disabled()  # only a manual clock moves
            expect(page.locator("#clock-next")).to_contain_text("real clock")

            scheduled = httpx.post(f"{base}{API}/batch-calls/{batch_id}/schedule", headers=AUTH)
            assert scheduled.status_code == 200
            expect(page.locator(".batch-head .badge")).to_have_text("completed", timeout=60_000)
            expect(page.locator(".batch-head .progress-text")).to_have_text("10 / 10")
            expect(page.locator("svg.chart rect.bar").first).to_be_visible()
        finally:
            context.close()
