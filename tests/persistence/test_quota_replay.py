"""Quotas with `--state-file`: a restart replays the same refusals (the quotas are part of the
settings a state file is written with), and a state file will not start under other quotas, which
could accept what was refused or refuse what was accepted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support import API, AUTH, make_client

from mock_server.persistence import StateFileMismatch


def create(client: Any, number: str) -> Any:
    body = {"name": "Kept", "agent_id": "agt_sandbox_ready", "contacts": [{"phone_number": number}]}
    return client.post(f"{API}/batch-calls", json=body, headers=AUTH)


@pytest.mark.parametrize("snapshot_every", [10_000, 2], ids=["rows only", "snapshot and rows"])
def test_a_restart_replays_what_the_quota_accepted_and_refused(tmp_path: Path, snapshot_every: int) -> None:
    state_file = tmp_path / "state.db"
    with make_client(state_file=state_file, snapshot_every=snapshot_every, max_batches=2) as client:
        first = create(client, "+14155550101").json()["data"]["id"]
        create(client, "+14155550102")
        assert create(client, "+14155550103").status_code == 409
        client.delete(f"{API}/batch-calls/{first}", headers=AUTH)
        assert create(client, "+14155550104").status_code == 201
        assert create(client, "+14155550105").status_code == 409
        before = client.get(f"{API}/batch-calls", headers=AUTH).json()["data"]
    with make_client(state_file=state_file, snapshot_every=snapshot_every, max_batches=2) as again:
        assert again.app.state.persistence.report.mismatches == []  # type: ignore[attr-defined]
        assert again.get(f"{API}/batch-calls", headers=AUTH).json()["data"] == before
        refused = create(again, "+14155550106")
        assert refused.status_code == 409
        assert refused.json()["error"]["details"] == {"quota": "batch_calls", "limit": 2, "in_use": 2,
                                                       "requested": 1}


@pytest.mark.parametrize("flag", ["max_batches", "max_contacts", "max_folders", "max_stored_bytes"])
def test_a_state_file_does_not_start_under_other_quotas(tmp_path: Path, flag: str) -> None:
    state_file = tmp_path / "state.db"
    with make_client(state_file=state_file) as client:
        assert create(client, "+14155550101").status_code == 201
    with pytest.raises(StateFileMismatch, match=flag), make_client(state_file=state_file, **{flag: 5}):
        pass
