"""The request journal through HTTP: GET /_mock/requests, /count and DELETE, each answer checked
against openapi.control.json by the test client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from support import API, AUTH, START, WELL_KNOWN, ZUDU_AUTH, CheckedClient, make_client, new_batch

from mock_server.core.timefmt import timestamp

CREATE = {
    "name": "Spring campaign",
    "agent_id": "agt_sandbox_ready",
    "contact_source": "folder",
    "contact_folder_id": "folder_sandbox_demo",
}


def entries(client: CheckedClient, headers: dict[str, str] | None = None, **filters: Any) -> list[Any]:
    response = client.get("/_mock/requests", params=filters, headers=headers or {})
    assert response.status_code == 200, response.text
    data: list[Any] = response.json()["data"]
    return data


def count(client: CheckedClient, headers: dict[str, str] | None = None, **filters: Any) -> int:
    response = client.get("/_mock/requests/count", params=filters, headers=headers or {})
    assert response.status_code == 200, response.text
    found: int = response.json()["count"]
    return found


def test_an_entry_holds_the_request_and_its_answer(client: CheckedClient) -> None:
    before = datetime.now(UTC)
    created = client.post(
        f"{API}/batch-calls?trace=1", json=CREATE, headers={**AUTH, "X-Idempotency-Key": "k-1"}
    )
    [entry] = entries(client)
    workspace_id = client.get("/_mock/health").json()  # (a read that is journaled too)
    assert set(entry) == {
        "request_id", "received_at", "simulated_at", "workspace_id", "method", "path", "query",
        "operation_id", "request_headers", "request_body", "status", "response_headers",
        "response_body", "duration_ms", "validation_errors", "idempotent_replay", "fault", "truncated",
    }
    assert entry["request_id"] == created.headers["x-request-id"]
    assert before - timedelta(seconds=1) <= datetime.fromisoformat(entry["received_at"]) <= datetime.now(UTC)
    assert entry["simulated_at"] == timestamp(START)
    assert entry["workspace_id"] == workspace_id["workspace_id"]
    assert (entry["method"], entry["path"], entry["query"]) == ("POST", f"{API}/batch-calls", "trace=1")
    assert entry["operation_id"] == "create_batch_call"
    assert entry["request_headers"]["x-idempotency-key"] == "k-1"
    assert entry["request_headers"]["content-type"] == "application/json"
    assert entry["request_body"] == CREATE
    assert entry["status"] == 201
    assert entry["response_headers"]["x-request-id"] == created.headers["x-request-id"]
    assert entry["response_headers"]["content-type"] == "application/json"
    assert entry["response_body"] == created.json()
    assert entry["duration_ms"] >= 0
    assert entry["validation_errors"] is None
    assert (entry["idempotent_replay"], entry["fault"], entry["truncated"]) == (False, None, False)
    assert workspace_id["status"] == "ok"


def test_a_read_is_journaled_as_answered_after_the_batch_changes(client: CheckedClient) -> None:
    batch = new_batch(client)["id"]
    one_before = client.get(f"{API}/batch-calls/{batch}", headers=AUTH)
    page_before = client.get(f"{API}/batch-calls", params={"limit": 5}, headers=AUTH)
    renamed = client.patch(f"{API}/batch-calls/{batch}", json={"name": "Renamed"}, headers=AUTH)
    assert renamed.status_code == 200, renamed.text
    one_after = client.get(f"{API}/batch-calls/{batch}", headers=AUTH)
    page_after = client.get(f"{API}/batch-calls", params={"limit": 5}, headers=AUTH)
    reads = {e["request_id"]: e for e in entries(client, method="GET")}
    for read in (one_before, page_before, one_after, page_after):
        entry = reads[read.headers["x-request-id"]]
        assert entry["response_body"] == read.json()
        assert entry["response_headers"]["content-length"] == str(len(read.content))
    assert one_before.json()["data"]["name"] != "Renamed" == one_after.json()["data"]["name"]
    assert client.head(f"{API}/batch-calls/{batch}", headers=AUTH).status_code == 200
    [head] = entries(client, method="HEAD")
    assert head["response_body"] is None  # a HEAD answer has no body, whatever a GET would say


def test_what_a_request_got_wrong_is_kept_as_answered(client: CheckedClient) -> None:
    refused = client.post(f"{API}/batch-calls", json={"name": "No agent"}, headers=AUTH)
    assert refused.status_code == 422
    malformed = client.post(
        f"{API}/batch-calls", content=b"{not json", headers={**AUTH, "Content-Type": "application/json"}
    )
    assert malformed.status_code == 400
    newest, oldest = entries(client)
    assert oldest["validation_errors"] == refused.json()["detail"]
    assert newest["request_body"] == "{not json"  # text: it is not JSON
    [problem] = newest["validation_errors"]
    assert problem["loc"] == ["body"] and problem["type"] == "invalid_json"


def test_requests_no_operation_matched_are_journaled_with_a_null_operation(client: CheckedClient) -> None:
    assert client.get(f"{API}/nowhere", headers=AUTH).status_code == 404
    assert client.put(f"{API}/batch-calls", headers=AUTH).status_code == 405
    wrong_method, unknown = entries(client)
    assert (unknown["status"], unknown["operation_id"], unknown["path"]) == (404, None, f"{API}/nowhere")
    assert (wrong_method["status"], wrong_method["operation_id"]) == (405, None)


def test_control_requests_are_journaled_but_reading_the_journal_is_not(client: CheckedClient) -> None:
    client.post("/_mock/clock/advance", json={"seconds": 60})
    entries(client)
    count(client)
    [advance] = entries(client)
    assert (advance["operation_id"], advance["path"], advance["status"]) == (
        "advance_clock", "/_mock/clock/advance", 200
    )
    assert advance["simulated_at"] == timestamp(START)  # the instant it was handled at


def test_credentials_are_redacted_to_their_scheme_and_last_4_characters_the_admin_token_whole() -> None:
    with make_client(admin_token="admin-token-1234", **WELL_KNOWN) as client:
        new_batch(client)
        client.get("/batch-call", headers=ZUDU_AUTH)
        admin = {"X-Mock-Admin-Token": "admin-token-1234"}
        created = client.post("/_mock/workspaces", json={}, headers=admin)
        secret = client.get("/_mock/webhooks", headers=admin).json()["secret"]
        webhook, zudu, truedy = entries(client, headers=admin)
    assert truedy["request_headers"]["authorization"] == "Bearer …dbox"
    assert zudu["request_headers"]["x-api-secret"] == "…dbox"
    assert zudu["request_headers"]["x-api-key"] == "zk_test_sandbox"  # an id, not a secret
    assert webhook["request_headers"]["x-mock-admin-token"] == "…"  # the admin's: none of it
    assert webhook["response_body"]["secret"] == f"…{secret[-4:]}"  # secrets in bodies too
    # creating a workspace acts on the whole sandbox: in no journal (issue 20), its key nowhere
    assert created.json()["api_key"] not in str([webhook, zudu, truedy])


def test_a_short_secret_is_hidden_whole() -> None:
    with make_client(admin_token="t0ken") as client:
        client.get("/_mock/clock", headers={"X-Mock-Admin-Token": "t0ken"})
        [entry] = entries(client, headers={"X-Mock-Admin-Token": "t0ken"})
    assert entry["request_headers"]["x-mock-admin-token"] == "…"


def test_filters_select_and_count_the_same_entries(client: CheckedClient) -> None:
    batch = new_batch(client)["id"]
    other = new_batch(client)["id"]
    client.get(f"{API}/batch-calls/{batch}", headers=AUTH)
    client.get(f"{API}/batch-calls/{other}", headers=AUTH)
    client.get(f"{API}/batch-calls/batch_000000000000", headers=AUTH)  # get_batch_call: a 404
    client.get(f"{API}/batch-calls/{batch}/nowhere", headers=AUTH)  # no operation: a 404
    client.post(f"{API}/batch-calls/{batch}/schedule", headers=AUTH)
    client.post(f"{API}/batch-calls", json={}, headers=AUTH)
    cases: list[tuple[dict[str, Any], int]] = [
        ({}, 8),
        ({"method": "get"}, 4),
        ({"method": "POST"}, 4),
        ({"path": f"{API}/batch-calls/{batch}"}, 1),
        ({"path": f"{API}/batch-calls/{{batch_call_id}}"}, 3),  # the template the operation matched
        ({"path": f"{API}/batch-calls/{{batch_call_id}}/schedule"}, 1),
        ({"path": f"{API}/batch-calls/{{id}}/nowhere"}, 1),  # no operation: a segment per {name}
        ({"operation_id": "create_batch_call"}, 3),
        ({"operation_id": "get_batch_call"}, 3),
        ({"status": 201}, 2),
        ({"status": 404}, 2),
        ({"method": "POST", "status": 201}, 2),
        ({"since": "2000-01-01T00:00:00Z"}, 8),
        ({"since": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}, 0),
    ]
    for filters, expected in cases:
        assert count(client, **filters) == expected, filters
        assert len(entries(client, **filters)) == expected, filters
    newest = entries(client, limit=1)[0]
    assert newest["status"] == 422
    assert entries(client, request_id=newest["request_id"]) == [newest]
    assert count(client, request_id="req_000000000000") == 0


def test_pages_are_newest_first(client: CheckedClient) -> None:
    for seconds in range(1, 6):
        client.post("/_mock/clock/advance", json={"seconds": seconds})
    everything = entries(client)
    sent = [e["request_body"]["seconds"] for e in everything]
    assert sent == [5, 4, 3, 2, 1]
    page = client.get("/_mock/requests", params={"limit": 2, "offset": 1}).json()
    assert [e["request_body"]["seconds"] for e in page["data"]] == [4, 3]
    assert (page["total"], page["dropped"]) == (5, 0)


def test_bad_filters_are_422(client: CheckedClient) -> None:
    for query in ({"since": "yesterday"}, {"status": "ok"}, {"limit": 0}, {"offset": -1}):
        response = client.get("/_mock/requests", params=query)
        assert response.status_code == 422, query
        assert response.json()["error"]["code"] == "validation_error"
    assert client.get("/_mock/requests/count", params={"status": 99}).status_code == 422
    assert client.get("/_mock/requests/count", params={"since": "2026-03-02T08:00:00"}).status_code == 422


def test_bodies_are_cut_at_64_kib(client: CheckedClient) -> None:
    huge = {**CREATE, "name": "x" * 70_000}
    assert client.post(f"{API}/batch-calls", json=huge, headers=AUTH).status_code == 422
    [entry] = entries(client)
    assert entry["truncated"] is True
    assert isinstance(entry["request_body"], str)  # the cut JSON is no longer JSON: shown as text
    assert len(entry["request_body"].encode()) == 64 * 1024
    assert entry["request_body"].startswith('{"name":"xxx')


def test_the_journal_keeps_the_newest_entries_and_counts_the_dropped() -> None:
    with make_client(journal_size=3) as client:
        for seconds in range(1, 6):
            client.post("/_mock/clock/advance", json={"seconds": seconds})
        page = client.get("/_mock/requests").json()
        assert [e["request_body"]["seconds"] for e in page["data"]] == [5, 4, 3]
        assert (page["total"], page["dropped"]) == (3, 2)
        assert client.delete("/_mock/requests").status_code == 204
        page = client.get("/_mock/requests").json()
        assert page == {"data": [], "total": 0, "dropped": 0}


def test_journal_size_0_keeps_nothing() -> None:
    with make_client(journal_size=0) as client:
        new_batch(client)
        assert client.get("/_mock/requests").json() == {"data": [], "total": 0, "dropped": 0}


def test_a_key_sees_only_its_own_world(client: CheckedClient) -> None:
    created = client.post("/_mock/workspaces", json={}).json()
    mine = {"Authorization": f"Bearer {created['api_key']}"}
    new_batch(client, headers=mine)
    new_batch(client)
    [own] = entries(client, headers=mine)
    assert own["workspace_id"] == created["workspace_id"]
    assert own["request_headers"]["authorization"] == f"Bearer …{created['api_key'][-4:]}"
    default = entries(client)
    assert [e["operation_id"] for e in default] == ["create_batch_call"]  # not the sandbox's operation
    assert {e["workspace_id"] for e in default} != {created["workspace_id"]}
    assert client.delete("/_mock/requests", headers=mine).status_code == 204
    assert entries(client, headers=mine) == [] and len(entries(client)) == 1
    unknown = {"Authorization": "Bearer sk_test_nobody"}
    for method, path in (("GET", "/_mock/requests"), ("GET", "/_mock/requests/count"),
                         ("DELETE", "/_mock/requests")):
        response = client.request(method, path, headers=unknown)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"


def test_requests_with_credentials_of_no_workspace_are_in_no_journal(client: CheckedClient) -> None:
    nobody = {"Authorization": "Bearer sk_test_nobody"}
    assert client.get(f"{API}/batch-calls", headers=nobody).status_code == 401
    assert client.get(f"{API}/batch-calls").status_code == 401  # no credentials: the default world's
    [entry] = entries(client)
    assert entry["status"] == 401 and "authorization" not in entry["request_headers"]


def test_an_idempotent_replay_is_marked(client: CheckedClient) -> None:
    headers = {**AUTH, "X-Idempotency-Key": "same-key"}
    first = client.post(f"{API}/batch-calls", json=CREATE, headers=headers)
    again = client.post(f"{API}/batch-calls", json=CREATE, headers=headers)
    assert again.headers["idempotent-replayed"] == "true"
    replay, original = entries(client)
    assert (original["idempotent_replay"], replay["idempotent_replay"]) == (False, True)
    assert replay["response_body"] == original["response_body"] == first.json()
    assert count(client, operation_id="create_batch_call") == 2


def test_the_fault_that_fired_is_kept(client: CheckedClient) -> None:
    rule = client.post("/_mock/faults", json={"status": 503, "count": 1, "path": f"{API}/agents"}).json()
    assert client.get(f"{API}/agents", headers=AUTH).status_code == 503
    assert client.get(f"{API}/agents", headers=AUTH).status_code == 200
    fine, faulted = entries(client, path=f"{API}/agents")
    assert faulted["status"] == 503 and faulted["fault"]["id"] == rule["id"]
    assert faulted["fault"]["status"] == 503
    assert fine["fault"] is None


def test_a_reset_empties_the_world_journal(client: CheckedClient) -> None:
    new_batch(client)
    client.post("/_mock/reset")
    [reset] = entries(client)
    assert reset["operation_id"] == "reset_world"
    client.post("/_mock/reset?scope=all")
    assert entries(client) == []  # a reset of everything acts on the whole sandbox: in no journal


def test_the_journal_bound_counts_headers_too() -> None:
    """Issue 20, defect 3: the bound counted bodies only, so requests of large headers and no body
    were kept past it (1 MB headers: 100 requests added 186 MB). Everything an entry holds counts."""
    with make_client(journal_max_bytes=100_000) as client:
        other = {"Authorization": f"Bearer {client.post('/_mock/workspaces', json={}).json()['api_key']}"}
        assert client.get("/_mock/clock", headers=other).status_code == 200
        for _ in range(20):
            assert client.get("/_mock/clock", headers={"X-Pad": "p" * 16_000}).status_code == 200
        page = client.get("/_mock/requests", params={"limit": 1000}).json()
        assert 4 <= page["total"] <= 6 and page["dropped"] == 20 - page["total"]  # ~18 KB each
        assert len(entries(client, headers=other)) == 1  # a bound per workspace


def test_a_filter_of_many_names_is_matched_by_segments(client: CheckedClient) -> None:
    """Issue 20, defect 2: ten {names} against a 40-character path backtracked for 8.4 s."""
    assert client.get("/" + "a" * 40).status_code == 404
    many = "/" + "".join(f"{{n{i}}}" for i in range(10)) + "/x"
    assert count(client, path=many) == 0
    assert count(client, path="/{whole_segment}") == 1
