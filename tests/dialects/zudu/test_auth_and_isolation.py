"""The X-API-KEY and X-API-SECRET pair, workspaces, and the 404 that never leaks another's batch."""

from __future__ import annotations

import pytest
from support import API, AUTH, ZUDU_AUTH, ZUDU_KEY, ZUDU_SECRET, CheckedClient, new_batch, new_zudu_batch


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-API-KEY": ZUDU_KEY},
        {"X-API-SECRET": ZUDU_SECRET},
        {"X-API-KEY": "zk_wrong", "X-API-SECRET": ZUDU_SECRET},
        {"X-API-KEY": ZUDU_KEY, "X-API-SECRET": "zs_wrong"},
        {"X-API-KEY": ZUDU_KEY, "X-API-SECRET": ""},
        {"X-API-KEY": ZUDU_SECRET, "X-API-SECRET": ZUDU_KEY},
        AUTH,  # Truedy's Bearer key is not Zudu's pair
    ],
)
def test_missing_or_bad_credentials_are_401(client: CheckedClient, headers: dict[str, str]) -> None:
    for method, path in [("GET", "/batch-call/list"), ("POST", "/batch-call"), ("DELETE", "/batch-call/b")]:
        response = client.request(method, path, headers=headers)
        assert response.status_code == 401, (method, path)
        body = response.json()
        assert (body["message"], body["status"]) == ("Unauthorized", "error")
        assert "X-API-KEY" in body["error"]


def test_zudu_credentials_do_not_open_truedy(client: CheckedClient) -> None:
    assert client.get(f"{API}/batch-calls", headers=ZUDU_AUTH).status_code == 401


def test_a_new_workspace_has_its_own_pair_and_batches(client: CheckedClient) -> None:
    mine = new_zudu_batch(client)["batch_call_id"]
    created = client.post("/_mock/workspaces")
    assert created.status_code == 201
    pair = created.json()["zudu"]
    assert pair["api_key"].startswith("zk_test_") and pair["api_secret"].startswith("zs_test_")
    other = {"X-API-KEY": pair["api_key"], "X-API-SECRET": pair["api_secret"]}
    for method, path in [
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("POST", "/execute"),
        ("GET", "/tasks"),
    ]:
        kwargs = {"json": {"name": "x"}} if method == "PATCH" else {}
        response = client.request(method, f"/batch-call/{mine}{path}", headers=other, **kwargs)
        assert response.status_code == 404, (method, path)
        assert response.json()["error"] == f"Batch call {mine} not found"
    listed = client.get("/batch-call/list", headers=other).json()["data"]
    assert listed["pagination"]["total_count"] == 0
    assert client.post("/batch-call/list", json={}, headers=other).json()["data"]["returned_count"] == 0
    theirs = client.post(
        "/batch-call", json={"from_number": "+14157774444", "tasks": [{"to_number": "+12137774445"}]},
        headers=other,
    )
    assert theirs.status_code == 201
    assert client.get(f"/batch-call/{mine}", headers=ZUDU_AUTH).status_code == 200
    their_id = theirs.json()["data"]["batch_call_id"]
    assert client.get(f"/batch-call/{their_id}", headers=ZUDU_AUTH).status_code == 404
    # the pair opens the control API's view of its own workspace
    assert client.get("/_mock/events", headers=other).status_code == 200
    assert client.get("/_mock/events", headers={**other, "X-API-SECRET": "zs_wrong"}).status_code == 401


def test_each_api_sees_only_its_own_batches(client: CheckedClient) -> None:
    zudu = new_zudu_batch(client)["batch_call_id"]
    truedy = new_batch(client)["id"]
    assert client.get(f"{API}/batch-calls/{zudu}", headers=AUTH).status_code == 404
    assert client.get(f"/batch-call/{truedy}", headers=ZUDU_AUTH).status_code == 404
    assert [b["id"] for b in client.get(f"{API}/batch-calls", headers=AUTH).json()["data"]] == [truedy]
    listed = client.get("/batch-call/list", headers=ZUDU_AUTH).json()["data"]["batch_calls"]
    assert [b["batch_call_id"] for b in listed] == [zudu]


def test_reset_answers_the_sandbox_pair(client: CheckedClient) -> None:
    assert client.post("/_mock/reset").json()["zudu"] == {"api_key": ZUDU_KEY, "api_secret": ZUDU_SECRET}
