"""--state-file with a readiness session: a challenged request changed nothing and is not journaled;
a replay meets no challenge, so a restart rebuilds the same state; no restart keeps the session."""

from __future__ import annotations

from pathlib import Path

from support import API, AUTH, make_client

CAMPAIGN = {"name": "Ready", "agent_id": "agt_sandbox_ready", "contacts": [{"phone_number": "+15550100001"}]}


def test_challenges_are_not_replayed(tmp_path: Path) -> None:
    state_file = tmp_path / "state.db"
    keyed = {**AUTH, "X-Idempotency-Key": "k1"}
    with make_client(state_file=state_file) as client:
        assert client.post("/_mock/readiness/start", headers=AUTH).status_code == 201
        assert client.post(f"{API}/batch-calls", json=CAMPAIGN, headers=keyed).status_code == 503
        created = client.post(f"{API}/batch-calls", json=CAMPAIGN, headers=keyed)
        assert created.status_code == 201
        assert client.post(f"{API}/batch-calls", json=CAMPAIGN, headers=AUTH).status_code == 429
        assert client.post(f"{API}/batch-calls", json=CAMPAIGN, headers=AUTH).status_code == 201
    with make_client(state_file=state_file) as again:
        assert again.app.state.persistence.report.mismatches == []  # type: ignore[attr-defined]
        listed = again.get(f"{API}/batch-calls", headers=AUTH).json()
        assert listed["pagination"]["total"] == 2
        assert again.get("/_mock/readiness", headers=AUTH).status_code == 404  # re-arm after a restart
        replayed = again.post(f"{API}/batch-calls", json=CAMPAIGN, headers=keyed)
        assert replayed.content == created.content  # the idempotent answer, kept by the state file
