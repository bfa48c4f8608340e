"""What the request journal must never show a tenant (issue 20, defects 1 and 3): another
workspace's keys, the admin's sandbox-wide operations, credentials cut out of a long body or sent in
a query string, tokens in a webhook URL, the requests of anonymous clients of a hosted sandbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support import API, AUTH, CheckedClient, make_client

ADMIN_TOKEN = "admin-token-0123456789"
ADMIN = {"X-Mock-Admin-Token": ADMIN_TOKEN}
DEFAULT_KEY = "sk_test_default_0123456789"  # the default workspace's key, as --api-key sets it
DEFAULT = {"Authorization": f"Bearer {DEFAULT_KEY}"}
CREATE = {
    "name": "Spring campaign",
    "agent_id": "agt_sandbox_ready",
    "contact_source": "folder",
    "contact_folder_id": "folder_sandbox_demo",
}


def journal(client: CheckedClient, headers: dict[str, str], **filters: Any) -> list[dict[str, Any]]:
    answer = client.get("/_mock/requests", params={"limit": 1000, **filters}, headers=headers)
    assert answer.status_code == 200, answer.text
    data: list[dict[str, Any]] = answer.json()["data"]
    return data


def test_no_workspace_key_is_readable_through_the_default_journal() -> None:
    """Defect 1: the admin's list of ~230 workspaces (over 64 KiB, so cut) was journaled unredacted
    in the default workspace, whose tenant then read every key and Zudu secret."""
    with make_client(admin_token=ADMIN_TOKEN, sandbox_key=DEFAULT_KEY) as client:
        created = [client.post("/_mock/workspaces", json={}, headers=ADMIN).json() for _ in range(260)]
        listed = client.get("/_mock/workspaces", headers=ADMIN)
        assert listed.status_code == 200 and len(listed.content) > 64 * 1024
        seen = client.get("/_mock/requests", params={"limit": 1000}, headers=DEFAULT).text
        by_path = client.get("/_mock/requests", params={"path": "/_mock/workspaces"}, headers=DEFAULT).json()
    assert by_path["data"] == [] and by_path["total"] == 0
    for workspace in created:
        assert workspace["api_key"] not in seen
        assert workspace["zudu"]["api_secret"] not in seen
        assert workspace["webhook_secret"] not in seen


def test_sandbox_wide_operations_are_in_no_tenant_journal() -> None:
    """Every operation the control document scopes to the whole sandbox (admin token), and a reset of
    everything, leave the default workspace's journal as it was."""
    spec = json.loads((Path(__file__).resolve().parents[2] / "openapi.control.json").read_text())
    sandbox_wide = [
        (method.upper(), path) for path, item in spec["paths"].items() for method, op in item.items()
        if isinstance(op, dict) and op.get("security") == [{"adminToken": []}, {}]
    ]
    assert ("POST", "/workspaces") in sandbox_wide and ("GET", "/workspaces") in sandbox_wide
    with make_client(admin_token=ADMIN_TOKEN, sandbox_key=DEFAULT_KEY) as client:
        created = client.post("/_mock/workspaces", json={"seed": 4242}, headers=ADMIN).json()
        for method, path in sandbox_wide:
            target = path.replace("{workspace_id}", created["workspace_id"])
            client.request(method, f"/_mock{target}", headers=ADMIN, json={} if method == "POST" else None)
        assert client.post(f"{API}/batch-calls", json=CREATE, headers=DEFAULT).status_code == 201
        entries = journal(client, ADMIN)
        assert [e["operation_id"] for e in entries] == ["create_batch_call"]
        assert client.post("/_mock/reset?scope=all", headers=ADMIN).status_code == 200
        assert journal(client, ADMIN) == []


def test_a_partners_webhook_tokens_and_seed_do_not_reach_the_default_workspace() -> None:
    hook = "https://partner:hunter2hunter2@hooks.example.org/truedy?token=tok_0123456789abcdef"
    with make_client() as client:  # no admin token: anyone may read the default journal
        created = client.post("/_mock/workspaces", json={"seed": 987654321, "webhook_url": hook})
        assert created.status_code == 201
        seen = client.get("/_mock/requests", params={"limit": 1000}).text
    assert "hunter2hunter2" not in seen and "tok_0123456789abcdef" not in seen
    assert "987654321" not in seen and created.json()["api_key"] not in seen


def test_a_webhook_url_is_shown_without_its_tokens_even_in_its_own_journal() -> None:
    hook = "https://partner:hunter2hunter2@hooks.example.org/truedy?token=tok_0123456789abcdef&v=2"
    with make_client() as client:
        assert client.put("/_mock/webhooks", json={"url": hook}).status_code == 200
        client.get("/_mock/webhooks")
        read, written = journal(client, {})
    for entry in (read["response_body"], written["request_body"], written["response_body"]):
        assert entry["url"] == "https://partner:…ter2@hooks.example.org/truedy?token=…cdef&v=2", entry
    assert "hunter2" not in json.dumps([read, written]) and "tok_0123456789abcdef" not in json.dumps(written)


def test_a_credential_in_a_long_body_is_redacted_before_the_body_is_cut() -> None:
    secret = "sk_live_do_not_show_0123456789"
    body = {"api_key": secret, **CREATE, "name": "x" * 70_000}
    with make_client() as client:
        answer = client.post(f"{API}/batch-calls", json=body, headers=AUTH)
        assert answer.status_code == 422
        [entry] = journal(client, {})
    assert entry["truncated"] is True
    assert secret not in json.dumps(entry)
    assert entry["request_body"].startswith('{"api_key":"…6789","name":"xxx')
    assert len(entry["request_body"].encode()) == 64 * 1024


def test_a_long_body_that_is_not_json_is_not_kept_in_clear() -> None:
    """A cut body that cannot be parsed cannot be redacted: the journal says so instead of keeping it."""
    with make_client() as client:
        auth = AUTH
        batch = client.post(f"{API}/batch-calls", json={"name": "CSV", "agent_id": "agt_sandbox_ready"},
                            headers=auth).json()["data"]["id"]
        rows = "phone_number,api_key\n" + "".join(f"+1555010{i:04d},sk_live_{i:020d}\n" for i in range(2500))
        answer = client.post(f"{API}/batch-calls/{batch}/contacts", content=rows.encode(),
                             headers={**auth, "Content-Type": "text/csv"})
        assert len(rows) > 64 * 1024 and answer.status_code in (200, 201, 422), answer.text
        entry = journal(client, {}, method="POST", operation_id="upload_batch_call_contacts")[0]
    assert entry["truncated"] is True
    assert "sk_live_" not in entry["request_body"]
    assert "not kept" in entry["request_body"] and str(len(rows)) in entry["request_body"]


def test_a_key_in_the_query_string_is_redacted_like_a_header() -> None:
    with make_client() as client:
        query = "limit=5&api_key=sk_live_0123456789abcd&X-Api-Token=tok_abcdef0123456789&access_token=short"
        assert client.get(f"{API}/agents?{query}&q=key", headers=AUTH).status_code == 200
        [entry] = journal(client, {})
    assert entry["query"] == "limit=5&api_key=…abcd&X-Api-Token=…6789&access_token=…&q=key"


def test_anonymous_requests_are_in_no_journal_of_a_hosted_sandbox() -> None:
    """Defect 3: under --admin-token the default workspace is a tenant like any other, and a request
    without credentials is nobody's (it used to land in the default workspace's journal)."""
    with make_client(admin_token=ADMIN_TOKEN, sandbox_key=DEFAULT_KEY) as client:
        client.get("/nowhere", headers={"X-Padding": "p" * 1000})
        client.get(f"{API}/agents")  # 401
        client.post(f"{API}/batch-calls", json=CREATE)  # 401
        client.get("/_mock/clock")  # 401: a world operation needs the token or the key
        client.get("/openapi.json")
        client.get(f"{API}/agents", headers=DEFAULT)
        client.get("/_mock/clock", headers=ADMIN)  # the admin acting on the default workspace: journaled
        entries = journal(client, DEFAULT)
    assert [(e["method"], e["path"]) for e in entries] == [("GET", "/_mock/clock"), ("GET", f"{API}/agents")]
    # the tenant reads that the admin acted, and nothing of the token (not its last 4 characters)
    assert entries[0]["request_headers"]["x-mock-admin-token"] == "…"
