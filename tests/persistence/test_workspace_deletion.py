"""`DELETE /_mock/workspaces/{workspace_id}` with a state file: the deletion is a row like any write,
so a restart (from the rows, or from a snapshot taken after it) has no such workspace."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import API, AUTH, make_client

CREATE = {"name": "Doomed", "agent_id": "agt_sandbox_ready", "contacts": [{"phone_number": "+14155550101"}]}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize("snapshot_every", [10_000, 3], ids=["rows only", "snapshot and rows"])
def test_a_deleted_workspace_stays_deleted_after_a_restart(tmp_path: Path, snapshot_every: int) -> None:
    state_file = tmp_path / "state.db"
    with make_client(state_file=state_file, snapshot_every=snapshot_every) as client:
        doomed, kept = client.post("/_mock/workspaces").json(), client.post("/_mock/workspaces").json()
        for workspace in (doomed, kept):
            assert client.post(f"{API}/batch-calls", json=CREATE,
                               headers=bearer(workspace["api_key"])).status_code == 201
        fault = {"status": 503, "path": "/nowhere"}
        client.post("/_mock/faults", json=fault, headers=bearer(doomed["api_key"]))
        assert client.delete(f"/_mock/workspaces/{doomed['workspace_id']}").status_code == 204
        client.post(f"{API}/batch-calls", json=CREATE, headers=AUTH)  # rows after the deletion
        listed = client.get("/_mock/workspaces").json()
    with make_client(state_file=state_file, snapshot_every=snapshot_every) as again:
        assert again.app.state.persistence.report.mismatches == []  # type: ignore[attr-defined]
        assert again.get("/_mock/workspaces").json() == listed
        assert again.get(f"{API}/batch-calls", headers=bearer(doomed["api_key"])).status_code == 401
        theirs = again.get(f"{API}/batch-calls", headers=bearer(kept["api_key"])).json()
        assert theirs["pagination"]["total"] == 1
        assert again.delete(f"/_mock/workspaces/{doomed['workspace_id']}").status_code == 404
        assert again.post("/_mock/workspaces").json()["workspace_id"] not in (doomed["workspace_id"],
                                                                              kept["workspace_id"])
