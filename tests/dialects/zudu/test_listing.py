"""GET and POST /batch-call/list (0-based pages, filters, order) and GET /batch-call/{id}/tasks."""

from __future__ import annotations

from typing import Any

import pytest
from support import ZUDU_AUTH, CheckedClient, new_zudu_batch


def listed(client: CheckedClient, query: str = "") -> dict[str, Any]:
    response = client.get(f"/batch-call/list{query}", headers=ZUDU_AUTH)
    assert response.status_code == 200, response.text
    assert response.json()["message"] == "Batch calls retrieved successfully"
    data: dict[str, Any] = response.json()["data"]
    return data


def searched(client: CheckedClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/batch-call/list", json=body, headers=ZUDU_AUTH)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def names(data: dict[str, Any]) -> list[str]:
    return [b["name"] for b in data["batch_calls"]]


@pytest.fixture
def three(client: CheckedClient) -> list[str]:
    """Alpha (draft, 1 task), Bravo sales (sent, 3 tasks), Charlie Sales (draft, 2 tasks), oldest first."""
    alpha = new_zudu_batch(client, name="Alpha", tasks=[{"to_number": "+12137770001"}])
    client.post("/_mock/clock/advance", json={"seconds": 60})
    bravo = new_zudu_batch(
        client,
        name="Bravo sales",
        agent_id="agent_00000000-0000-4000-8000-000000000001",
        tasks=[{"to_number": f"+1213777000{n}"} for n in range(3)],
        send_now=True,
    )
    client.post("/_mock/clock/advance", json={"seconds": 60})
    charlie = new_zudu_batch(client, name="Charlie Sales")
    return [alpha["batch_call_id"], bravo["batch_call_id"], charlie["batch_call_id"]]


def test_pages_are_zero_based(client: CheckedClient, three: list[str]) -> None:
    first = listed(client, "?limit=2&sort_by=created_at&sort_order=ascending")
    assert names(first) == ["Alpha", "Bravo sales"]
    assert first["pagination"] == {"page": 0, "limit": 2, "total_count": 3, "total_pages": 2}
    assert first["returned_count"] == 2
    second = listed(client, "?page=1&limit=2&sort_by=created_at&sort_order=ascending")
    assert names(second) == ["Charlie Sales"] and second["returned_count"] == 1
    past = listed(client, "?page=5&limit=2")
    assert past["batch_calls"] == [] and past["pagination"]["total_count"] == 3


def test_default_page_and_order(client: CheckedClient, three: list[str]) -> None:
    data = listed(client)
    assert data["pagination"]["limit"] == 20
    # updated_at, newest first: Bravo's calls keep updating it
    client.post("/_mock/clock/advance", json={"seconds": 600})
    assert names(listed(client))[0] == "Bravo sales"


@pytest.mark.parametrize(
    "sort_by,expected",
    [
        ("created_at", ["Charlie Sales", "Bravo sales", "Alpha"]),
        ("name", ["Charlie Sales", "Bravo sales", "Alpha"]),
        ("total_task_count", ["Bravo sales", "Charlie Sales", "Alpha"]),
        ("status", ["Bravo sales", "Charlie Sales", "Alpha"]),  # sent > draft; ties newest first
    ],
)
def test_sort_by(client: CheckedClient, three: list[str], sort_by: str, expected: list[str]) -> None:
    assert names(listed(client, f"?sort_by={sort_by}&sort_order=descending")) == expected
    assert names(listed(client, f"?sort_by={sort_by}&sort_order=ascending"))[-1] == expected[0]


def test_query_out_of_range_is_422(client: CheckedClient) -> None:
    cases = [("?limit=0", "limit"), ("?limit=101", "limit"), ("?page=-1", "page"), ("?page=x", "page"),
             ("?sort_by=colour", "sort_by"), ("?sort_order=up", "sort_order")]
    for query, field in cases:
        response = client.get(f"/batch-call/list{query}", headers=ZUDU_AUTH)
        assert response.status_code == 422, query
        assert [(e["field"], e["location"]) for e in response.json()["errors"]] == [(field, "query")]


def test_search_filters(client: CheckedClient, three: list[str]) -> None:
    everything = searched(client, {})
    assert everything["pagination"]["total_count"] == 3 and everything["applied_filters"] == {}
    by_status = searched(client, {"filter_criteria": {"status": ["sent", "completed"]}})
    assert names(by_status) == ["Bravo sales"]
    assert by_status["applied_filters"] == {"status": "2 values"}
    by_name = searched(client, {"filter_criteria": {"name": ["SALES"]}, "sort_by": "name",
                                "sort_order": "ascending"})
    assert names(by_name) == ["Bravo sales", "Charlie Sales"]
    agent = "agent_00000000-0000-4000-8000-000000000001"
    by_agent = searched(client, {"filter_criteria": {"agent_id": [agent]}})
    assert names(by_agent) == ["Bravo sales"]
    combined = searched(client, {"filter_criteria": {"status": ["draft"], "name": ["sales", "alp"]},
                                 "pagination": {"page": 0, "limit": 1}, "sort_by": "created_at"})
    assert names(combined) == ["Charlie Sales"]
    assert combined["pagination"] == {"page": 0, "limit": 1, "total_count": 2, "total_pages": 2}
    assert combined["applied_filters"] == {"status": "1 values", "name": "2 values"}


def test_search_body_is_validated(client: CheckedClient) -> None:
    response = client.post("/batch-call/list", json={"filter_criteria": {"status": ["paused"]},
                                                     "pagination": {"limit": 500}}, headers=ZUDU_AUTH)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"filter_criteria.status[0]", "pagination.limit"}


def test_tasks_are_paged_in_dialling_order(client: CheckedClient) -> None:
    numbers = [f"+1213777{n:04d}" for n in range(7)]
    batch = new_zudu_batch(client, tasks=[{"to_number": n, "max_retries": 2} for n in numbers])
    url = f"/batch-call/{batch['batch_call_id']}/tasks"
    first = client.get(f"{url}?limit=5", headers=ZUDU_AUTH).json()
    assert first["message"] == "Batch call tasks retrieved successfully"
    assert [t["to_number"] for t in first["data"]["tasks"]] == numbers[:5]
    assert first["data"]["pagination"] == {"page": 0, "limit": 5, "total_count": 7, "total_pages": 2}
    second = client.get(f"{url}?page=1&limit=5", headers=ZUDU_AUTH).json()["data"]
    assert [t["to_number"] for t in second["tasks"]] == numbers[5:]
    default = client.get(url, headers=ZUDU_AUTH).json()["data"]
    assert default["pagination"]["limit"] == 50 and len(default["tasks"]) == 7
    assert all(t["task_id"].startswith("task_") and t["status"] == "pending" for t in default["tasks"])
    assert client.get(f"{url}?limit=101", headers=ZUDU_AUTH).status_code == 422
    assert client.get("/batch-call/batch_call_nope/tasks", headers=ZUDU_AUTH).status_code == 404
