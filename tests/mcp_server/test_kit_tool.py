"""`run_contract_kit`: bounded in where it sends requests, in time, and to one run at a time."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from functools import partial
from typing import Any

import anyio
import pytest
from assistant import Assistant, converse, over_http

from contracts.inprocess import sandbox
from mock_server.mcp_server.kit_tool import ContractKit, KitPolicy
from mock_server.mcp_server.sandbox_client import ToolFailure

KEY = "sk_test_sandbox"


@pytest.fixture
def silent_target() -> Iterator[str]:
    """A loopback port that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/api/public/v1"


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/api",
        "http://169.254.169.254/",
        "https://example.org/",
        "http://127.1/",
        "ftp://127.0.0.1/",
    ],
)
def test_targets_off_loopback_are_refused_before_anything_is_sent(url: str) -> None:
    with pytest.raises(ToolFailure) as refused:
        KitPolicy().check(url)
    assert refused.value.code == "kit_not_allowed"


def test_loopback_and_the_hosts_the_user_allowed_are_targets() -> None:
    for url in ("http://127.0.0.1:8080/api/public/v1", "http://localhost:9/", "http://[::1]:8080/"):
        assert KitPolicy().check(url) == url
    with pytest.raises(ToolFailure, match="--kit-allow-host staging.example.org"):
        KitPolicy().check("https://staging.example.org/api")
    assert KitPolicy(frozenset({"staging.example.org"})).check("https://staging.example.org/api")
    with pytest.raises(ToolFailure, match="hosted"):
        KitPolicy(None, "hosted").check("http://127.0.0.1/")


def test_a_run_past_its_time_limit_is_stopped(silent_target: str) -> None:
    kit = ContractKit(KitPolicy(), time_limit=2)
    started = time.monotonic()
    with pytest.raises(ToolFailure) as stopped:
        anyio.run(kit.run, {"base_url": silent_target, "api_key": KEY})
    assert stopped.value.code == "kit_timed_out"
    assert time.monotonic() - started < 10  # the kit's own request timeout is 10 s: it was killed first


def test_one_run_at_a_time(silent_target: str) -> None:
    kit = ContractKit(KitPolicy(), time_limit=3)
    outcomes: list[str] = []

    async def run() -> None:
        try:
            await kit.run({"base_url": silent_target, "api_key": KEY})
        except ToolFailure as failure:
            outcomes.append(failure.code)

    async def both() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(run)
            await anyio.sleep(0.2)
            group.start_soon(run)

    anyio.run(both)
    assert outcomes == ["kit_busy", "kit_timed_out"]


def test_the_kit_reports_a_conformant_sandbox_and_a_defective_one() -> None:
    async def talk(a: Assistant, target: str) -> Any:
        return await a.call("run_contract_kit", base_url=target, api_key=KEY, suites=["rules"])

    with (
        sandbox(clock="manual") as api,
        sandbox(clock="manual", defects=frozenset({"pause_from_draft"})) as broken,
    ):
        origin = api.removesuffix("/api/public/v1")
        clean = converse(partial(over_http, origin), partial(talk, target=api))
        found = converse(partial(over_http, origin), partial(talk, target=broken))
    assert (clean["exit_status"], clean["verdict"]) == (0, "conformant")
    assert "CONFORMANT" in clean["summary"] and clean["report"].startswith("#")
    assert (found["exit_status"], found["verdict"]) == (1, "findings")
    assert "pause" in found["report"] and "curl" in found["report"]


def test_a_target_the_kit_cannot_check_is_a_tool_error() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, never listening: connections are refused
        with pytest.raises(ToolFailure) as refused:
            anyio.run(ContractKit(KitPolicy()).run, {"base_url": f"http://127.0.0.1:{port}", "api_key": KEY})
    assert refused.value.code == "kit_could_not_check" and "connect" in refused.value.message
