"""A path with an encoded slash (`%2F`) is routed by the path as sent, split before it is decoded:
the journal keeps that path, so a restart routes each such request as it was routed the first time.

Replayed by its decoded path, `PATCH /batch-calls/%2F` became `PATCH /batch-calls//`, which no
operation has: a fault rule that fired on it live was not used up on replay, the fault-rule cap
then refused one add too early, and every id drawn after that refusal shifted (the chaos
self-check's fault flood, issue 20).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support import API, AUTH, ZUDU_AUTH, CheckedClient, make_client, new_batch

NEVER_FIRES = {"path": "/nowhere/*", "status": 503}


def world(client: CheckedClient) -> dict[str, Any]:
    return {
        "faults": client.get("/_mock/faults").json(),
        "batches": client.get(f"{API}/batch-calls", headers=AUTH).json()["data"],
    }


def test_a_restart_routes_an_encoded_slash_as_it_was_routed(tmp_path: Path) -> None:
    state_file = tmp_path / "state.db"
    with make_client(state_file=state_file, max_fault_rules=2) as client:
        client.post("/_mock/faults", json={"path": f"{API}/batch-calls/*", "status": 500, "count": 1})
        # routed to a batch call whose id is "/": the counted rule fires, and is used up
        assert client.patch(f"{API}/batch-calls/%2F", json={"name": "x"}, headers=AUTH).status_code == 500
        assert client.patch("/batch-call/%2F", json={"name": 1}, headers=ZUDU_AUTH).status_code == 422
        flood = [client.post("/_mock/faults", json=NEVER_FIRES).status_code for _ in range(3)]
        assert flood == [201, 201, 409]
        new_batch(client)  # its id is drawn after the flood's
        before = world(client)
    with make_client(state_file=state_file, max_fault_rules=2) as again:
        assert world(again) == before
        assert again.app.state.persistence.report.mismatches == []  # type: ignore[attr-defined]
