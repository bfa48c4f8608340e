"""A control operation added through the extension points alone: its entry in the control spec
(with its `x-scope`) and a handler registered for its operationId (tests/extending/control_ops.py).
Routing, validation, the scope's credentials, the journal (a sandbox-wide operation is in no
tenant's journal) and the MCP tools take it from there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from extending.control_ops import with_counts
from response_checker import ResponseChecker
from support import API, START, CheckedClient

from mock_server.app import create_app
from mock_server.mcp_server.catalogue import control_tools
from mock_server.settings import Settings, default_control_spec_path

ADMIN = {"X-Mock-Admin-Token": "admin-secret"}
KEY = {"Authorization": "Bearer sk_test_key"}

pytestmark = pytest.mark.in_process


@pytest.fixture
def client(tmp_path: Path) -> Iterator[CheckedClient]:
    spec = with_counts(default_control_spec_path(), tmp_path / "openapi.control.json")
    settings = Settings(clock="manual", start_at=START, control_spec_path=spec, admin_token="admin-secret",
                        sandbox_key="sk_test_key")
    app = create_app(settings)
    with CheckedClient(app, raise_server_exceptions=True) as client:
        client.checkers = [ResponseChecker(s) for s in app.state.specs.values()]
        yield client


def test_a_world_operation_answers_for_the_world_of_its_credentials(client: CheckedClient) -> None:
    assert client.get("/_mock/batches/count", headers=KEY).json() == {"count": 0}
    assert client.post(f"{API}/batch-calls", json={"name": "b", "agent_id": "agt_sandbox_ready"},
                       headers=KEY).status_code == 201
    assert client.get("/_mock/batches/count", headers=KEY).json() == {"count": 1}
    other = client.post("/_mock/workspaces", json={}, headers=ADMIN).json()
    theirs = {"Authorization": f"Bearer {other['api_key']}"}
    assert client.get("/_mock/batches/count", headers=theirs).json() == {"count": 0}
    assert client.get("/_mock/batches/count").status_code == 401  # under an admin token: credentials needed
    entries = client.get("/_mock/requests", headers=KEY).json()["data"]
    assert [e["operation_id"] for e in entries].count("count_batches") == 2


def test_a_sandbox_wide_operation_needs_the_admin_token_and_is_in_no_journal(client: CheckedClient) -> None:
    assert client.get("/_mock/workspaces/count", headers=KEY).status_code == 401
    assert client.get("/_mock/workspaces/count", headers=ADMIN).json() == {"count": 1}
    client.post("/_mock/workspaces", json={}, headers=ADMIN)
    assert client.get("/_mock/workspaces/count", headers=ADMIN).json() == {"count": 2}
    operations = [e["operation_id"] for e in client.get("/_mock/requests", headers=ADMIN).json()["data"]]
    assert "count_workspaces" not in operations and "count_batches" not in operations


def test_its_route_comes_from_the_spec(client: CheckedClient) -> None:
    wrong = client.post("/_mock/batches/count", headers=KEY)
    assert wrong.status_code == 405 and wrong.headers["Allow"] == "GET, HEAD"
    assert wrong.json()["error"]["code"] == "method_not_allowed"  # in the control envelope


def test_it_is_a_tool_of_the_mcp_server(tmp_path: Path) -> None:
    spec = with_counts(default_control_spec_path(), tmp_path / "openapi.control.json")
    names = {tool.name for tool in control_tools(orjson.loads(spec.read_bytes()))}
    assert {"count_batches", "count_workspaces"} <= names
