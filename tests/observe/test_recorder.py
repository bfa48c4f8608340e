"""What the recorder leaves out: the state file's replay at start-up is not a client's request."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import API, AUTH, make_client, new_batch


@pytest.mark.parametrize("snapshot_every", [10_000, 1])  # replayed rows, or restored from a snapshot
def test_a_restart_replays_without_journaling_or_logging(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], snapshot_every: int
) -> None:
    state_file = tmp_path / "state.db"
    with make_client(state_file=state_file, snapshot_every=snapshot_every) as client:
        batch = new_batch(client)["id"]
        client.post("/_mock/clock/advance", json={"seconds": 60})
        assert client.get("/_mock/requests").json()["total"] == 2
    assert capsys.readouterr().err.count(" create_batch_call 201 ") == 1
    with make_client(state_file=state_file, snapshot_every=snapshot_every) as again:
        assert again.get(f"{API}/batch-calls/{batch}", headers=AUTH).status_code == 200  # it is back
        [entry] = again.get("/_mock/requests").json()["data"]
        assert entry["operation_id"] == "get_batch_call"  # the only request a client sent this run
    assert "create_batch_call" not in capsys.readouterr().err
