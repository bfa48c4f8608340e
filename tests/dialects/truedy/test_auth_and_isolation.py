"""Bearer keys, workspaces, and the 404 that never leaks another workspace's resource."""

from __future__ import annotations

import pytest
from support import API, AUTH, CheckedClient, new_batch


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer sk_wrong"},
        {"Authorization": "Basic abc"},
        # a real client refuses to send a header value ending in a space: only the in-process transport can
        pytest.param({"Authorization": "Bearer "}, marks=pytest.mark.in_process),
    ],
)
def test_missing_or_bad_key_is_401(client: CheckedClient, headers: dict[str, str]) -> None:
    response = client.get(f"{API}/batch-calls", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "unauthorized"


def test_another_workspaces_batch_is_a_404(client: CheckedClient) -> None:
    mine = new_batch(client)["id"]
    created = client.post("/_mock/workspaces")
    assert created.status_code == 201
    other = {"Authorization": f"Bearer {created.json()['api_key']}"}
    for method, path in [
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("POST", "/pause"),
        ("GET", "/contacts"),
        ("GET", "/analytics"),
    ]:
        kwargs = {"json": {}} if method == "PATCH" else {}
        response = client.request(method, f"{API}/batch-calls/{mine}{path}", headers=other, **kwargs)
        assert response.status_code == 404, (method, path)
    assert client.get(f"{API}/batch-calls", headers=other).json()["pagination"]["total"] == 0
    # the new workspace has its own fixtures
    assert client.get(f"{API}/agents/agt_sandbox_ready", headers=other).status_code == 200
    assert client.get(f"{API}/batch-calls/{mine}", headers=AUTH).status_code == 200
