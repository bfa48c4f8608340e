"""Under --admin-token the default workspace's keys are drawn, not the README's: with a state file a
restart keeps them (they are drawn from the file's secret), and a reset of everything draws new ones."""

from __future__ import annotations

from pathlib import Path

from support import API, CheckedClient, make_client

ADMIN = {"X-Mock-Admin-Token": "t0ken"}


def default_key(client: CheckedClient) -> str:
    listed = client.get("/_mock/workspaces", headers=ADMIN).json()["data"]
    return str(listed[0]["api_key"])


def test_a_restart_keeps_the_drawn_default_keys(tmp_path: Path) -> None:
    state_file = tmp_path / "state.db"
    with make_client(state_file=state_file, admin_token="t0ken") as client:
        key = default_key(client)
        assert key != "sk_test_sandbox"
        assert client.get(f"{API}/agents", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    with make_client(state_file=state_file, admin_token="t0ken") as again:
        assert default_key(again) == key
        assert again.get(f"{API}/agents", headers={"Authorization": f"Bearer {key}"}).status_code == 200
        assert again.post("/_mock/reset?scope=all", headers=ADMIN).status_code == 200
        assert default_key(again) != key  # a reset of everything: a key of before opens nothing after
        assert again.get(f"{API}/agents", headers={"Authorization": f"Bearer {key}"}).status_code == 401
