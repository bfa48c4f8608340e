"""A third API served beside Truedy and Zudu in one app, built only from the public extension points
(tests/extending/acme/: its own spec, one resource, one 422 rule, its own credential header). Every
answer is checked against its own spec; the control API, the request journal, isolation and the
state file take it in without a line of theirs changed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from extending.acme.dialect import ACME
from response_checker import ResponseChecker
from starlette.testclient import TestClient
from support import API, AUTH, SEED_004, START, ZUDU_AUTH, CheckedClient

from mock_server.app import create_app
from mock_server.dialects.registry import BUILT_IN
from mock_server.settings import Settings

KEY = "sk_test_sandbox"
TOKEN = {"X-Acme-Token": KEY}
LISTS = "/acme/v1/call-lists"
SPRING = {"name": "Spring", "from_number": "+14155550100", "numbers": ["+14155550101", "+14155550102"]}

pytestmark = pytest.mark.in_process  # its own app: not one of the cluster's instances


def three_apis(**settings: Any) -> CheckedClient:
    app = create_app(
        Settings(dialects=("truedy", "zudu", "acme"), clock="manual", start_at=START, **settings),  # type: ignore[arg-type]
        dialects=(*BUILT_IN, ACME),
    )
    client = CheckedClient(app, raise_server_exceptions=True)
    client.checkers = [ResponseChecker(spec) for spec in app.state.specs.values()]
    return client


@pytest.fixture
def client() -> Iterator[CheckedClient]:
    with three_apis() as client:
        yield client


def test_the_third_api_creates_and_reads_its_resource(client: CheckedClient) -> None:
    created = client.post(LISTS, json=SPRING, headers=TOKEN)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["name"] == "Spring" and body["numbers"] == 2 and body["status"] == "draft"
    read = client.get(f"{LISTS}/{body['id']}", headers=TOKEN)
    assert read.status_code == 200 and read.json() == body


def test_its_business_rule_is_a_422_in_its_own_envelope(client: CheckedClient) -> None:
    assert client.post(LISTS, json=SPRING, headers=TOKEN).status_code == 201
    again = client.post(LISTS, json={**SPRING, "name": "SPRING"}, headers=TOKEN)
    assert again.status_code == 422
    assert again.json() == {"error": {"code": "duplicate_name",
                                      "message": "a call list named 'SPRING' exists in this workspace"}}
    invalid = client.post(LISTS, json={**SPRING, "numbers": []}, headers=TOKEN)
    assert invalid.status_code == 422 and invalid.json()["error"]["code"] == "validation_error"
    missing = client.get(f"{LISTS}/cl_nothing", headers=TOKEN)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_its_credential_header_is_its_own(client: CheckedClient) -> None:
    assert client.post(LISTS, json=SPRING, headers=AUTH).status_code == 401  # Truedy's header is not Acme's
    refused = client.post(LISTS, json=SPRING, headers={"X-Acme-Token": "sk_nobody"})
    assert refused.status_code == 401
    assert refused.json()["error"] == {"code": "unauthorized", "message": "X-Acme-Token names no workspace"}


def test_the_apis_share_worlds_but_not_batches(client: CheckedClient) -> None:
    created = client.post(LISTS, json=SPRING, headers=TOKEN).json()
    assert client.get(f"{API}/batch-calls/{created['id']}", headers=AUTH).status_code == 404
    assert client.get(f"/batch-call/{created['id']}", headers=ZUDU_AUTH).status_code == 404
    assert client.post("/batch-call", json=SEED_004, headers=ZUDU_AUTH).status_code == 201
    assert client.get(f"{API}/batch-calls", headers=AUTH).json()["pagination"]["total"] == 0
    workspace = client.post("/_mock/workspaces", json={}).json()  # another tenant, its own key
    theirs = {"X-Acme-Token": workspace["api_key"]}
    assert client.get(f"{LISTS}/{created['id']}", headers=theirs).status_code == 404
    assert client.post(LISTS, json=SPRING, headers=theirs).status_code == 201  # names are per workspace


def test_the_control_api_and_the_journal_know_its_credentials(client: CheckedClient) -> None:
    workspace = client.post("/_mock/workspaces", json={"seed": 5}).json()
    theirs = {"X-Acme-Token": workspace["api_key"]}
    clock = client.get("/_mock/clock", headers=theirs)
    assert clock.status_code == 200
    assert client.get("/_mock/health", headers=theirs).json()["workspace_id"] == workspace["workspace_id"]
    assert client.get("/_mock/clock", headers={"X-Acme-Token": "sk_nobody"}).status_code == 401
    assert client.post(LISTS, json=SPRING, headers=theirs).status_code == 201
    entries = client.get("/_mock/requests", headers=theirs).json()["data"]
    created = next(e for e in entries if e["operation_id"] == "create_call_list")
    assert created["request_headers"]["x-acme-token"] == f"…{workspace['api_key'][-4:]}"
    assert workspace["api_key"] not in str(entries)


def test_its_document_and_reference_page_are_served(client: CheckedClient) -> None:
    document = client.get("/openapi.acme.json")
    assert document.status_code == 200 and document.json()["info"]["title"] == "Acme Call Lists API"
    index = client.get("/docs").text
    assert "/docs/acme" in index and "Acme API" in index


def test_unknown_paths_under_it_answer_in_its_envelope(client: CheckedClient) -> None:
    answer = client.get("/acme/v1/nothing-here", headers=TOKEN)
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
    wrong = client.delete(LISTS, headers=TOKEN)
    assert wrong.status_code == 405 and wrong.headers["Allow"] == "POST"


def test_a_state_file_replays_its_requests(tmp_path: Path) -> None:
    state = tmp_path / "acme.db"
    with three_apis(state_file=state) as client:
        created = client.post(LISTS, json=SPRING, headers=TOKEN).json()
    with three_apis(state_file=state) as client:
        assert client.get(f"{LISTS}/{created['id']}", headers=TOKEN).json() == created
        assert client.post(LISTS, json=SPRING, headers=TOKEN).status_code == 422  # the rule sees it too


def test_a_sandbox_that_does_not_know_it_does_not_serve_it() -> None:
    with TestClient(create_app(Settings(clock="manual", start_at=START))) as client:
        assert client.post(LISTS, json=SPRING, headers=TOKEN).status_code == 404
    with pytest.raises(ValueError, match="no dialect acme"):
        create_app(Settings(dialects=("acme",)))  # type: ignore[arg-type]
