"""`/_mock/mcp` sits in front of a state file's journal: the requests its tools make are journaled
(and survive a restart), the MCP request itself is not (a restart does not run a tool again)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import httpx2 as httpx
from assistant import Assistant, converse, over_http
from support import KEY, live_server

API = "/api/public/v1"
BODY = {
    "name": "Kept",
    "agent_id": "agt_sandbox_ready",
    "contact_source": "folder",
    "contact_folder_id": "folder_sandbox_demo",
}


def test_what_the_tools_did_survives_a_restart_once(tmp_path: Path) -> None:
    state = tmp_path / "sandbox.db"
    flags = ("--clock", "manual", "--start-at", "2026-03-02T08:00:00Z", "--state-file", str(state), "--quiet")

    async def talk(a: Assistant) -> str:
        created = await a.call("call_api", method="POST", path=f"{API}/batch-calls", body=BODY, api_key=KEY)
        await a.call("advance_clock", body={"seconds": 3600})
        return str(created["body"]["data"]["id"])

    with live_server(*flags) as origin:
        batch = converse(partial(over_http, origin), talk)
    with live_server(*flags) as origin:
        auth = {"Authorization": f"Bearer {KEY}"}
        listed = httpx.get(f"{origin}{API}/batch-calls", headers=auth).json()
        assert [b["id"] for b in listed["data"]] == [batch]  # created once, not again by a replayed tool call
        assert httpx.get(f"{origin}/_mock/clock").json()["now"] == "2026-03-02T09:00:00.000000Z"
