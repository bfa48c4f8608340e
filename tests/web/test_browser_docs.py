"""/docs in a real browser: every contract page renders all its operations from files the sandbox
serves, and "Try it out" sends the request to this sandbox."""

from __future__ import annotations

import re

import httpx2 as httpx
from playwright.sync_api import Page, expect

KNOWN_BASES = {"/docs/truedy": "/api/public/v1", "/docs/zudu": ""}  # the path each contract's server names
HTTP_METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}


def operations_of(url: str) -> int:
    document = httpx.get(url).json()
    return sum(1 for item in document["paths"].values() for method in item if method in HTTP_METHODS)


def test_each_contract_page_renders_its_operations_with_nothing_from_the_internet(
    page: Page, sandbox_url: str
) -> None:
    page.goto(f"{sandbox_url}/docs")
    items = page.locator("ul.contracts li")
    contracts = {
        items.nth(i).locator("a").get_attribute("href"): items.nth(i).locator("code").inner_text()
        for i in range(items.count())
    }
    assert {"/docs/truedy": "/openapi.json", "/docs/zudu": "/openapi.zudu.json"}.items() <= contracts.items()
    for page_path, document in contracts.items():
        page.goto(f"{sandbox_url}{page_path}")
        expect(page.locator(".opblock").first).to_be_visible()
        expect(page.locator(".opblock")).to_have_count(operations_of(sandbox_url + document))
        server = page.locator(".servers select option").first
        base = KNOWN_BASES.get(page_path, r"(/[\w/]*)?")
        expect(server).to_have_text(re.compile(rf"^{re.escape(sandbox_url)}{base} - this sandbox$"))
    requested = page.requested  # type: ignore[attr-defined]
    assert requested and all(url.startswith(sandbox_url + "/") for url in requested), requested


def test_try_it_out_sends_the_request_to_this_sandbox(page: Page, sandbox_url: str) -> None:
    page.goto(f"{sandbox_url}/docs/truedy")
    operation = page.locator("[id$='-list_agents']")
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    agents = f"{sandbox_url}/api/public/v1/agents"
    with page.expect_response(lambda response: response.url.split("?")[0] == agents) as answered:
        operation.locator("button.execute").click()
    assert answered.value.status == 401  # no key authorised yet: the sandbox's own answer
    status = operation.locator(".live-responses-table tr.response .response-col_status").first
    expect(status).to_contain_text("401")


def test_try_it_out_writes_to_the_control_api_from_its_own_page(page: Page, sandbox_url: str) -> None:
    """The sandbox's own page is same-origin: its JSON write and its body-less write pass the guard
    that refuses another site's (a foreign Origin, a form's content type)."""
    page.goto(f"{sandbox_url}/docs/control")
    for operation_id, path in (("advance_clock", "/_mock/clock/advance"), ("reset_world", "/_mock/reset")):
        operation = page.locator(f"[id$='-{operation_id}']")
        operation.locator(".opblock-summary").click()
        operation.locator("button.try-out__btn").click()
        target = sandbox_url + path
        with page.expect_response(lambda response, t=target: response.url.split("?")[0] == t) as done:
            operation.locator("button.execute").click()
        assert done.value.status == 200, (operation_id, done.value.text())
        sent = done.value.request
        assert sent.header_value("origin") == sandbox_url
