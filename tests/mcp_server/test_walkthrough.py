"""The goal of issue 25: an assistant driven only through MCP runs the README's walk-through end to
end (a workspace, a campaign created and scheduled, the clock moved to its end, the analytics and
the journal read), over stdio and over HTTP, in both protocol eras of the SDK's client. What it
reads is what a client of the HTTP API reads from a sandbox given the same requests."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest
from assistant import API, BODY, END, START_AT, WORKSPACE, converse, over_http, over_stdio, walk_through
from starlette.testclient import TestClient

from contracts.inprocess import sandbox
from mock_server.app import create_app
from mock_server.settings import Settings


def direct(start: float) -> dict[str, Any]:
    """The same requests from a plain HTTP client, on a sandbox with the same settings."""
    with TestClient(create_app(Settings(clock="manual", start_at=start))) as c:
        key = c.post("/_mock/workspaces", json=WORKSPACE).json()["api_key"]
        auth = {"Authorization": f"Bearer {key}", "X-Idempotency-Key": "walkthrough-1"}
        batch = c.post(f"{API}/batch-calls", json=BODY, headers=auth).json()["data"]["id"]
        auth = {"Authorization": f"Bearer {key}"}
        c.post(f"{API}/batch-calls/{batch}/pause", headers=auth)
        c.post(f"{API}/batch-calls/{batch}/schedule", headers=auth)
        c.post("/_mock/clock/advance", json={"until": END}, headers=auth)
        return {
            "final": c.get(f"{API}/batch-calls/{batch}", headers=auth).json()["data"],
            "analytics": c.get(f"{API}/batch-calls/{batch}/analytics", headers=auth).json()["data"],
            "events": c.get("/_mock/events", headers=auth).json(),
        }


def check(seen: dict[str, Any]) -> None:
    final, analytics = seen["final"], seen["analytics"]
    assert final["status"] == "completed"
    assert final["completed_contacts"] == final["total_contacts"] == 10
    for counter in ("successful_contacts", "failed_contacts", "voicemail_contacts", "no_answer_contacts"):
        assert analytics[counter] == final[counter]
    (entry,) = seen["journal"]["data"]  # scheduled exactly once, and the journal shows it
    assert entry["status"] == 200 and entry["operation_id"] == "schedule_batch_call"
    assert entry["request_headers"]["authorization"].startswith("Bearer …")  # redacted, as for any client
    assert seen["creates"] == 1
    expected = direct(datetime.fromisoformat(START_AT).timestamp())
    assert {k: seen[k] for k in expected} == expected


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_an_assistant_runs_the_walkthrough_over_stdio(mode: str) -> None:
    connect = partial(over_stdio, "--clock", "manual", "--start-at", START_AT, "--quiet", mode=mode)
    check(converse(connect, walk_through))


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_an_assistant_runs_the_walkthrough_over_http(mode: str) -> None:
    start = datetime(2026, 3, 2, 8, tzinfo=UTC).timestamp()
    with sandbox(clock="manual", start_at=start) as api:
        check(converse(partial(over_http, api.removesuffix(API), mode=mode), walk_through))
