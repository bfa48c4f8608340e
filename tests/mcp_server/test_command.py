"""`batchcalls-mock mcp`: attaching to a running sandbox with credentials, and its refusals."""

from __future__ import annotations

import subprocess
import sys
from functools import partial

import httpx2 as httpx
import pytest
from assistant import Assistant, converse, over_stdio
from support import START

from contracts.inprocess import sandbox

TOKEN = "admin-secret"


def run_mcp(*flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mock_server", "mcp", *flags],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_attached_with_a_workspace_key_it_acts_on_that_world_only() -> None:
    with sandbox(clock="manual", start_at=START, admin_token=TOKEN) as api:
        origin = api.removesuffix("/api/public/v1")
        workspace = httpx.post(
            f"{origin}/_mock/workspaces", json={}, headers={"X-Mock-Admin-Token": TOKEN}
        ).json()

        async def talk(a: Assistant) -> None:
            assert (await a.call("get_health"))["workspace_id"] == workspace["workspace_id"]
            assert (await a.refused("list_workspaces"))["code"] == "unauthorized"
            agents = await a.call("call_api", method="GET", path="/api/public/v1/agents")
            assert agents["status"] == 200  # the key given is the default of call_api too

        converse(partial(over_stdio, "--url", origin, "--api-key", workspace["api_key"]), talk)


def test_attached_with_the_admin_token_it_reaches_the_sandbox_wide_tools() -> None:
    with sandbox(clock="manual", start_at=START, admin_token=TOKEN) as api:
        origin = api.removesuffix("/api/public/v1")

        async def talk(a: Assistant) -> None:
            created = await a.call("create_workspace")
            assert created["workspace_id"] in {
                w["workspace_id"] for w in (await a.call("list_workspaces"))["data"]
            }

        converse(partial(over_stdio, "--url", origin, "--admin-token", TOKEN), talk)


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (("--api-key", "sk_nobody"), "answered 401"),
        (("--clock", "manual"), "only credentials may be given"),
    ],
)
def test_attaching_with_what_the_sandbox_refuses_is_one_sentence_and_status_2(
    flags: tuple[str, ...], says: str
) -> None:
    with sandbox(admin_token=TOKEN) as api:
        ended = run_mcp("--url", api.removesuffix("/api/public/v1"), *flags)
    assert ended.returncode == 2 and ended.stdout == ""
    assert ended.stderr.startswith("batchcalls-mock mcp: ") and says in ended.stderr
    assert ended.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (("--url", "http://127.0.0.1:9"), "cannot reach the sandbox at http://127.0.0.1:9"),
        (("--host", "0.0.0.0", "--admin-token", "t"), "listens on loopback only"),
        (("--spec", "/nowhere/openapi.json"), "/nowhere/openapi.json"),
    ],
)
def test_a_sandbox_that_cannot_be_had_is_one_sentence_and_status_2(flags: tuple[str, ...], says: str) -> None:
    ended = run_mcp(*flags)
    assert ended.returncode == 2 and ended.stdout == ""
    assert says in ended.stderr and ended.stderr.count("\n") == 1


def test_a_serve_flag_the_sandbox_cannot_use_is_refused_as_serve_refuses_it() -> None:
    ended = run_mcp("--port", "70000")
    assert ended.returncode == 2 and "is not a port number" in ended.stderr
