"""The request journal as HAR 1.2 (`GET /_mock/requests?format=har`) and an admin's read of any
workspace's journal (`GET /_mock/workspaces/{id}/requests`); every answer is checked against
openapi.control.json by the test client."""

from __future__ import annotations

from typing import Any

from support import API, AUTH, CheckedClient, make_client, new_batch

ADMIN = {"X-Mock-Admin-Token": "t0ken"}


def har(client: CheckedClient, path: str = "/_mock/requests", headers: dict[str, str] | None = None,
        **filters: Any) -> dict[str, Any]:
    response = client.get(path, params={"format": "har", **filters}, headers=headers or {})
    assert response.status_code == 200, response.text
    log: dict[str, Any] = response.json()["log"]
    return log


def test_the_har_page_is_the_json_page_oldest_first_with_the_same_redaction(client: CheckedClient) -> None:
    batch = new_batch(client)["id"]
    client.patch(f"{API}/batch-calls/{batch}?trace=1", json={"name": "Renamed"}, headers=AUTH)
    client.post(f"{API}/batch-calls", json={"agent_id": "agt_sandbox_ready"}, headers=AUTH)
    listed = client.get("/_mock/requests").json()
    log = har(client)
    assert (log["version"], log["creator"]["name"]) == ("1.2", "batchcalls-mock")
    assert (log["_total"], log["_dropped"]) == (listed["total"], 0) == (3, 0)
    assert [e["_request_id"] for e in log["entries"]] == [e["request_id"] for e in reversed(listed["data"])]
    create, patch, refused = log["entries"]
    assert patch["request"]["method"] == "PATCH"
    assert patch["request"]["url"] == f"http://testserver{API}/batch-calls/{batch}?trace=1"
    assert patch["request"]["queryString"] == [{"name": "trace", "value": "1"}]
    assert patch["request"]["postData"]["mimeType"] == "application/json"
    assert patch["_operation_id"] == "update_batch_call"
    headers = {h["name"]: h["value"] for h in create["request"]["headers"]}
    assert headers["authorization"] == "Bearer …dbox"
    assert "sk_test_sandbox" not in str(log)  # the key, redacted as in the JSON list
    assert refused["response"]["status"] == 422
    assert '"missing"' in refused["response"]["content"]["text"]
    # the same filters as the list
    only = har(client, status=422)
    assert [e["_request_id"] for e in only["entries"]] == [refused["_request_id"]] and only["_total"] == 1
    assert har(client, limit=1)["entries"] == [refused]


def test_an_admin_reads_any_workspace_journal_and_no_one_else_does() -> None:
    with make_client(admin_token="t0ken") as client:
        other = client.post("/_mock/workspaces", headers=ADMIN).json()
        key = {"Authorization": f"Bearer {other['api_key']}"}
        assert client.get(f"{API}/agents", headers=key).status_code == 200
        path = f"/_mock/workspaces/{other['workspace_id']}/requests"
        log = har(client, path, ADMIN)
        assert [e["request"]["url"].split("testserver")[1] for e in log["entries"]] == [f"{API}/agents"]
        assert log["entries"][0]["_workspace_id"] == other["workspace_id"]
        page = client.get(path, headers=ADMIN).json()
        assert [e["path"] for e in page["data"]] == [f"{API}/agents"]
        assert client.get(path, headers=key).status_code == 401  # a workspace's own key is not the admin's
        assert client.get(path).status_code == 401
        missing = client.get("/_mock/workspaces/ws_nobody/requests", headers=ADMIN)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
        assert client.get(path, params={"format": "xml"}, headers=ADMIN).status_code == 422
