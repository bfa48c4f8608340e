"""`/_mock/mcp` on a running sandbox: the control API's credentials and scopes, and its refusals."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import httpx2 as httpx
import pytest
from assistant import Assistant, converse, over_http
from mcp import MCPError
from support import KEY, START

from contracts.inprocess import sandbox

API = "/api/public/v1"
TOKEN = "admin-secret"
PING = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
ACCEPT = {"Accept": "application/json, text/event-stream"}


@pytest.fixture(scope="module")
def hosted() -> Iterator[str]:
    """A sandbox with an admin token (as a hosted one must have), manual clock."""
    with sandbox(clock="manual", start_at=START, admin_token=TOKEN) as api:
        yield api.removesuffix(API)


@pytest.fixture(scope="module")
def local() -> Iterator[str]:
    with sandbox(clock="manual", start_at=START) as api:
        yield api.removesuffix(API)


def new_workspace(origin: str) -> dict[str, Any]:
    created = httpx.post(f"{origin}/_mock/workspaces", json={}, headers={"X-Mock-Admin-Token": TOKEN})
    assert created.status_code == 201
    answer: dict[str, Any] = created.json()
    return answer


def test_without_credentials_under_an_admin_token_the_endpoint_answers_the_control_apis_401(
    hosted: str,
) -> None:
    for headers in ({}, {"X-Mock-Admin-Token": "wrong"}, {"Authorization": "Bearer sk_nobody"}):
        refused = httpx.post(f"{hosted}/_mock/mcp", json=PING, headers={**ACCEPT, **headers})
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "unauthorized"
    assert (
        httpx.post(
            f"{hosted}/_mock/mcp", json=PING, headers={**ACCEPT, "X-Mock-Admin-Token": TOKEN}
        ).status_code
        == 200
    )


def test_a_workspace_key_reaches_its_own_world_and_no_sandbox_wide_tool(hosted: str) -> None:
    workspace = new_workspace(hosted)

    async def talk(a: Assistant) -> None:
        assert (await a.call("get_health"))["workspace_id"] == workspace["workspace_id"]
        await a.call("add_fault", body={"path": f"{API}/agents", "status": 503, "count": 1})
        (rule,) = (await a.call("list_faults"))["data"]
        assert rule["path"] == f"{API}/agents"
        refused = await a.refused("create_workspace")
        assert refused["code"] == "unauthorized" and refused["status"] == 401
        assert (await a.refused("list_workspaces"))["code"] == "unauthorized"
        other = await a.refused("get_clock", api_key="sk_nobody")
        assert other["code"] == "unauthorized"

    converse(partial(over_http, hosted, {"Authorization": f"Bearer {workspace['api_key']}"}), talk)
    # the rule is in that world only: the default world has none
    faults = httpx.get(f"{hosted}/_mock/faults", headers={"X-Mock-Admin-Token": TOKEN}).json()
    assert faults["data"] == []


def test_the_admin_token_reaches_the_sandbox_wide_tools_and_names_worlds_by_key(hosted: str) -> None:
    async def talk(a: Assistant) -> None:
        created = await a.call(
            "create_workspace", body={"clock": "manual", "start_at": "2027-01-04T09:00:00Z"}
        )
        listed = await a.call("list_workspaces")
        assert created["workspace_id"] in {w["workspace_id"] for w in listed["data"]}
        clock = await a.call("get_clock", api_key=created["api_key"])
        assert clock["now"] == "2027-01-04T09:00:00.000000Z"
        zudu = created["zudu"]
        health = await a.call("get_health", zudu_key=zudu["api_key"], zudu_secret=zudu["api_secret"])
        assert health["workspace_id"] == created["workspace_id"]

    converse(partial(over_http, hosted, {"X-Mock-Admin-Token": TOKEN}), talk)


def test_without_an_admin_token_no_credentials_act_on_the_default_world(local: str) -> None:
    default = httpx.get(f"{local}/_mock/health").json()["workspace_id"]

    async def talk(a: Assistant) -> None:
        assert (await a.call("get_health"))["workspace_id"] == default
        assert "api_key" in await a.call("create_workspace")

    converse(partial(over_http, local), talk)


def test_errors_are_tool_errors_carrying_the_envelopes_code_and_message(local: str) -> None:
    async def talk(a: Assistant) -> None:
        missing = await a.refused("remove_fault", fault_id="fault_nope")
        assert (missing["code"], missing["status"]) == ("not_found", 404)
        assert missing["message"] == missing["answer"]["error"]["message"]
        anonymous = await a.refused("call_api", method="GET", path=f"{API}/agents")
        assert (anonymous["code"], anonymous["status"]) == ("unauthorized", 401)
        refused = await a.refused(
            "call_api", method="POST", path=f"{API}/batch-calls", body={"name": ""}, api_key=KEY
        )
        assert (refused["code"], refused["status"]) == ("validation_error", 422)
        assert "body.agent_id" in refused["message"]
        unknown = await a.refused("call_api", method="GET", path=f"{API}/batch-calls/batch_nope", api_key=KEY)
        assert (unknown["code"], unknown["status"]) == ("not_found", 404)
        zudu = await a.refused(
            "call_api",
            method="GET",
            path="/batch-call/nope",
            zudu_key="zk_test_sandbox",
            zudu_secret="zs_test_sandbox",
        )
        assert zudu["status"] == 404 and zudu["message"]
        wrong = await a.refused("advance_clock", body={"seconds": 1, "until": "2027-01-01T00:00:00Z"})
        assert wrong["code"] == "invalid_arguments" and wrong["status"] is None
        unknown_argument = await a.refused("get_clock", seconds=5)
        assert unknown_argument["code"] == "invalid_arguments" and "seconds" in unknown_argument["message"]

    converse(partial(over_http, local), talk)


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/_mock/workspaces", "path_not_allowed"),
        ("/%5Fmock/reset", "path_not_allowed"),
        ("//example.org/x", "path_not_allowed"),
        ("/api/../_mock/reset", "path_not_allowed"),
        ("/api/public/v1/batch-calls?limit=1", "path_not_allowed"),
        ("/a\\b", "path_not_allowed"),
        ("http://example.org/", "invalid_arguments"),  # not a path at all: the tool's schema says so
    ],
)
def test_call_api_is_bounded_to_the_public_apis_of_this_sandbox(local: str, path: str, code: str) -> None:
    async def talk(a: Assistant) -> dict[str, Any]:
        return await a.refused("call_api", method="GET", path=path, api_key=KEY)

    assert converse(partial(over_http, local), talk)["code"] == code


def test_only_post_is_answered(local: str) -> None:
    for method in ("GET", "DELETE", "PUT"):
        answer = httpx.request(method, f"{local}/_mock/mcp", headers=ACCEPT)
        assert answer.status_code == 405 and answer.headers["allow"] == "POST"
        assert answer.json()["error"]["code"] == -32600


def test_what_a_browser_can_send_cross_site_is_refused(local: str) -> None:
    """A form or a `fetch` without a preflight sends text/plain: the SDK reads JSON only."""
    answer = httpx.post(
        f"{local}/_mock/mcp",
        content=b'{"jsonrpc":"2.0","id":1,"method":"ping"}',
        headers={**ACCEPT, "Content-Type": "text/plain"},
    )
    assert answer.status_code in (400, 415)


def test_a_body_over_the_sandboxs_limit_is_refused_before_it_is_read(local: str) -> None:
    answer = httpx.post(
        f"{local}/_mock/mcp",
        content=b"[" + b" " * 1_100_000 + b"]",
        headers={**ACCEPT, "Content-Type": "application/json"},
    )
    assert answer.status_code == 413


def test_the_endpoints_own_requests_are_not_journaled_its_calls_are(local: str) -> None:
    async def talk(a: Assistant) -> Any:
        await a.call("clear_requests")
        await a.call("call_api", method="GET", path=f"{API}/agents", api_key=KEY)
        return await a.call("list_requests")

    journal = converse(partial(over_http, local), talk)
    assert [(e["method"], e["path"]) for e in journal["data"]] == [("GET", f"{API}/agents")]


def test_the_resources_are_the_documents_this_sandbox_serves_and_the_spec_notes() -> None:
    with sandbox(dialects=("truedy",)) as api:
        origin = api.removesuffix(API)

        async def talk(a: Assistant) -> None:
            listed = await a.client.list_resources()
            assert [str(r.uri) for r in listed.resources] == [
                "batchcalls://openapi.json",
                "batchcalls://openapi.zudu.json",
                "batchcalls://openapi.control.json",
                "batchcalls://spec-notes.md",
            ]
            assert await a.read("batchcalls://openapi.json") == httpx.get(f"{origin}/openapi.json").text
            assert (
                await a.read("batchcalls://openapi.control.json")
                == httpx.get(f"{origin}/_mock/openapi.json").text
            )
            assert (await a.read("batchcalls://spec-notes.md")).startswith("# Spec notes")
            for uri in ("batchcalls://openapi.zudu.json", "batchcalls://nothing"):  # not served here; unknown
                with pytest.raises(MCPError):
                    await a.read(uri)

        converse(partial(over_http, origin), talk)


def test_the_webhook_and_readiness_tools(local: str) -> None:
    async def talk(a: Assistant) -> None:
        receiver = "http://127.0.0.1:9/hooks"  # nothing listens: each attempt fails, and says so
        assert (await a.call("set_webhook", body={"url": receiver}))["url"] == receiver
        assert (await a.call("get_webhook"))["secret"].startswith("whsec_")
        await a.call("start_readiness")
        report = await a.call("get_readiness_report", format="md")
        assert isinstance(report, str) and report.startswith("#")
        assert (await a.call("get_readiness_report"))["verdict"] == "incomplete"
        assert "data" in await a.call("list_webhook_deliveries")
        await a.call("set_webhook", body={"url": None})

    converse(partial(over_http, local), talk)


def test_a_server_stopped_after_mcp_calls_exits_cleanly_and_deep_arguments_are_refused(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """A sandbox in this process (as the client developers' fixture runs one) stopped after the
    endpoint's SDK tasks started: no traceback on its way out (they used to be cancelled once the
    server's loop had closed). Arguments nested past the JSON-RPC parser's depth are a parse error,
    and the server goes on."""
    with sandbox(clock="manual", start_at=START) as api:
        base = api.removesuffix(API)
        init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
        assert httpx.post(f"{base}/_mock/mcp", json=init, headers=ACCEPT).status_code == 200
        deep = "[" * 10_000 + "]" * 10_000
        params = '{"name":"get_clock","arguments":{"x":' + deep + "}}"
        call = '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":' + params + "}"
        refused = httpx.post(f"{base}/_mock/mcp", content=call,
                             headers={**ACCEPT, "Content-Type": "application/json"})
        assert refused.status_code == 400 and refused.json()["error"]["code"] == -32700
        assert httpx.get(f"{base}/_mock/health").status_code == 200
    stderr = capfd.readouterr().err
    assert "Traceback" not in stderr and "ERROR" not in stderr, stderr[-2000:]
