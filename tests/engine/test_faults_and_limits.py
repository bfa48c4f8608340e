"""Fault rules and the per-workspace rate limit, through HTTP."""

from __future__ import annotations

import re

import httpx2 as httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import API, AUTH, CheckedClient, live_server, make_client

from mock_server.engine.faults import path_matches


def add_fault(client: CheckedClient, **rule: object) -> dict[str, object]:
    response = client.post("/_mock/faults", json=rule)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


@pytest.mark.parametrize(("status", "code"), [(429, "rate_limit_exceeded"), (500, "internal_error"),
                                              (503, "service_unavailable")])
def test_a_status_fault_answers_the_documented_envelope(
    client: CheckedClient, status: int, code: str
) -> None:
    add_fault(client, path=f"{API}/agents", status=status, count=1)
    response = client.get(f"{API}/agents", headers=AUTH)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    if status != 500:
        assert int(response.headers["retry-after"]) > 0
    # a counted rule is used up
    assert client.get(f"{API}/agents", headers=AUTH).status_code == 200
    assert client.get("/_mock/faults").json()["total"] == 0


def test_rules_match_method_and_pattern_and_can_be_removed(client: CheckedClient) -> None:
    rule = add_fault(client, method="POST", path=f"{API}/batch-calls*", status=500)
    assert client.get(f"{API}/batch-calls", headers=AUTH).status_code == 200
    created = client.post(f"{API}/batch-calls", json={"name": "x", "agent_id": "agt_sandbox_ready"},
                          headers=AUTH)
    assert created.status_code == 500
    assert [r["id"] for r in client.get("/_mock/faults").json()["data"]] == [rule["id"]]
    assert client.delete(f"/_mock/faults/{rule['id']}").status_code == 204
    assert client.delete(f"/_mock/faults/{rule['id']}").status_code == 404
    ok = client.post(f"{API}/batch-calls", json={"name": "x", "agent_id": "agt_sandbox_ready"},
                     headers=AUTH)
    assert ok.status_code == 201


def test_probability_is_seeded_and_partial(client: CheckedClient) -> None:
    add_fault(client, path=f"{API}/agents", status=503, probability=0.5)
    statuses = [client.get(f"{API}/agents", headers=AUTH).status_code for _ in range(60)]
    assert 10 < statuses.count(503) < 50


def test_reset_and_clear_remove_every_rule(client: CheckedClient) -> None:
    add_fault(client, status=500)
    assert client.delete("/_mock/faults").status_code == 204
    add_fault(client, status=500)
    client.post("/_mock/reset")
    assert client.get("/_mock/faults").json()["total"] == 0
    assert client.get(f"{API}/agents", headers=AUTH).status_code == 200


@pytest.mark.parametrize(
    "rule",
    [{"status": 418}, {}, {"probability": 0, "status": 500}, {"count": 0, "status": 500},
     {"latency_ms": -1}, {"path": "", "status": 500}, {"colour": "red", "status": 500}],
)
def test_bad_rules_are_refused(client: CheckedClient, rule: dict[str, object]) -> None:
    assert client.post("/_mock/faults", json=rule).status_code == 422


def test_rate_limit_answers_429_with_retry_after() -> None:
    with make_client(rate_limit="3/min") as limited:
        assert [limited.get(f"{API}/agents", headers=AUTH).status_code for _ in range(3)] == [200] * 3
        refused = limited.get(f"{API}/agents", headers=AUTH)
        assert refused.status_code == 429
        error = refused.json()["error"]
        assert error["code"] == "rate_limit_exceeded" and error["details"]["limit"] == 3
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        # per workspace: another key has its own budget
        other = limited.post("/_mock/workspaces").json()["api_key"]
        assert limited.get(f"{API}/agents", headers={"Authorization": f"Bearer {other}"}).status_code == 200


def test_latency_and_dropped_connection_on_a_real_server() -> None:
    with live_server("--clock", "manual") as base:
        httpx.post(f"{base}/_mock/faults", json={"path": "/api/public/v1/agents", "drop_connection": True,
                                                 "count": 1})
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{base}/api/public/v1/agents", headers=AUTH, timeout=5)
        after = httpx.get(f"{base}/api/public/v1/agents", headers=AUTH, timeout=5)
        assert after.status_code == 200
        httpx.post(f"{base}/_mock/faults", json={"path": "/api/public/v1/agents", "latency_ms": 300,
                                                 "count": 1})
        with pytest.raises(httpx.TimeoutException):
            httpx.get(f"{base}/api/public/v1/agents", headers=AUTH, timeout=0.1)


def test_fault_rules_past_the_cap_are_a_409_in_that_workspace_only() -> None:
    with make_client(max_fault_rules=3) as client:
        rules = [add_fault(client, path=f"/nowhere/{n}", status=500) for n in range(2)]
        add_fault(client, path=f"{API}/agents", status=503, count=1)  # the third: at the cap
        refused = client.post("/_mock/faults", json={"status": 500})
        assert refused.status_code == 409, refused.text
        error = refused.json()["error"]
        assert error["code"] == "fault_rule_limit_reached" and error["details"] == {"limit": 3}
        other = {"Authorization": f"Bearer {client.post('/_mock/workspaces').json()['api_key']}"}
        assert client.post("/_mock/faults", json={"status": 500}, headers=other).status_code == 201
        assert client.get(f"{API}/agents", headers=AUTH).status_code == 503  # a counted rule, used up
        add_fault(client, status=500, path="/again")
        assert client.delete(f"/_mock/faults/{rules[0]['id']}").status_code == 204
        add_fault(client, status=500, path="/and-again")
        assert client.post("/_mock/faults", json={"status": 500}).status_code == 409


@pytest.mark.parametrize(
    ("pattern", "path", "fires"),
    [
        (f"{API}/batch-calls*", f"{API}/batch-calls/batch_1/contacts", True),  # `*` crosses `/`
        (f"{API}/*/contacts", f"{API}/batch-calls/batch_1/contacts", True),
        ("*/agents", f"{API}/agents", True),
        ("*agents*", f"{API}/agents", True),
        (f"{API}/agents", f"{API}/agents/agt_sandbox_ready", False),  # no `*`: the whole path
        (f"{API}/age?ts", f"{API}/agents", False),  # `?` and `[…]` are plain characters
        (f"{API}/[a]gents", f"{API}/agents", False),
        ("*a*a*a*a*a*a*a*a*b", f"{API}/" + "a" * 4000, False),  # linear: no backtracking
    ],
)
def test_a_path_pattern_has_one_wildcard(client: CheckedClient, pattern: str, path: str, fires: bool) -> None:
    add_fault(client, path=pattern, status=503)
    answer = client.get(path, headers=AUTH)
    assert (answer.status_code == 503) is fires, answer.text


@pytest.mark.parametrize("rule", [{"path": "/" + "x" * 2048, "status": 500},
                                  {"method": "G" * 17, "status": 500}])
def test_a_rule_is_bounded_in_size(client: CheckedClient, rule: dict[str, object]) -> None:
    assert client.post("/_mock/faults", json=rule).status_code == 422


@given(st.text(alphabet="ab*/?[", max_size=12), st.text(alphabet="ab/?[*", max_size=16))
def test_a_pattern_matches_as_a_regex_of_its_parts_would(pattern: str, path: str) -> None:
    as_regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    assert path_matches(pattern, path) is (re.fullmatch(as_regex, path, re.DOTALL) is not None)
