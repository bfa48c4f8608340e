"""Small edges a hostile client finds: odd digits, encoded slashes, trailing slashes, huge echoes
(issue 11, defect 10)."""

from __future__ import annotations

import pytest
from support import API, AUTH, ZUDU_AUTH, CheckedClient


@pytest.mark.parametrize("digits", ["١", "１", "1_0", "+5", " 5", "5 ", "0x5"])
def test_query_integers_are_ascii_digits_only(client: CheckedClient, digits: str) -> None:
    response = client.get(f"{API}/batch-calls", params={"limit": digits}, headers=AUTH)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["type"] == "int_parsing"
    zudu = client.get("/batch-call/list", params={"page": digits}, headers=ZUDU_AUTH)
    assert zudu.status_code == 422, zudu.text


def test_plain_and_negative_integers_still_read(client: CheckedClient) -> None:
    assert client.get(f"{API}/batch-calls", params={"limit": "05"}, headers=AUTH).status_code == 200
    negative = client.get(f"{API}/batch-calls", params={"offset": "-1"}, headers=AUTH)
    assert negative.json()["detail"][0]["type"] == "greater_than_equal"


def test_an_encoded_slash_is_part_of_its_segment(client: CheckedClient) -> None:
    for path in (f"{API}/batch-calls/%2F", f"{API}/batch-calls/%2f"):
        response = client.get(path, headers=AUTH)
        assert response.status_code == 404, response.text
        assert response.json()["error"]["details"] == {"resource": "batch_call", "id": "/"}
    pause = client.post(f"{API}/batch-calls/batch_x%2Fpause", headers=AUTH)
    assert pause.status_code == 405  # not POST /batch-calls/batch_x/pause: GET|PATCH|DELETE of that id
    zudu = client.get("/batch-call/a%2Ftasks", headers=ZUDU_AUTH)
    assert zudu.status_code == 404 and zudu.json()["error"] == "Batch call a/tasks not found"


def test_a_trailing_slash_on_the_control_api_is_a_404_not_a_redirect(client: CheckedClient) -> None:
    response = client.get("/_mock/health/", headers={"Host": "evil.example"}, follow_redirects=False)
    assert response.status_code == 404 and "location" not in response.headers
    assert response.json()["error"]["code"] == "not_found"


def test_a_422_never_echoes_huge_input(client: CheckedClient) -> None:
    huge = "x" * 400_000  # twice over: under the 1 MB body limit
    body = {"name": huge, "agent_id": "agt_sandbox_ready", "contacts": [{"phone_number": huge}]}
    response = client.post(f"{API}/batch-calls", json=body, headers=AUTH)
    assert response.status_code == 422 and len(response.content) < 4_000, len(response.content)
    zudu = client.post("/batch-call", json={"from_number": huge, "tasks": [{"to_number": huge}]},
                       headers=ZUDU_AUTH)
    assert zudu.status_code == 422 and len(zudu.content) < 4_000, len(zudu.content)


def test_a_422_lists_at_most_100_violations_and_counts_them_all(client: CheckedClient) -> None:
    contacts = [{"phone_number": f"bad{n}"} for n in range(250)]
    body = {"name": "", "agent_id": "agt_sandbox_ready", "contacts": contacts}
    detail = client.post(f"{API}/batch-calls", json=body, headers=AUTH).json()
    assert len(detail["detail"]) == 100 and detail["violation_count"] == 251
    few = client.post(f"{API}/batch-calls", json={"name": ""}, headers=AUTH).json()
    assert "violation_count" not in few
    tasks = [{"to_number": f"bad{n}"} for n in range(250)]
    zudu = client.post("/batch-call", json={"from_number": "x", "tasks": tasks}, headers=ZUDU_AUTH).json()
    assert len(zudu["errors"]) == 100 and zudu["violation_count"] == 251


DEEP = '{"a":' * 256 + "1" + "}" * 256  # past jsonschema_rs's recursion limit when it describes errors


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("POST", f"{API}/batch-calls", AUTH),
        ("POST", "/batch-call", ZUDU_AUTH),
        ("POST", "/_mock/faults", AUTH),
        ("PUT", "/_mock/webhooks", AUTH),
        ("POST", "/_mock/clock/advance", AUTH),
    ],
)
def test_a_deeply_nested_body_is_a_422_not_a_500(
    client: CheckedClient, method: str, path: str, headers: dict[str, str]
) -> None:
    sent = {**headers, "Content-Type": "application/json"}
    response = client.request(method, path, content=DEEP, headers=sent)
    assert response.status_code == 422, response.text
    assert "nests too deeply" in response.text
