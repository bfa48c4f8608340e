"""Pagination and filters of the list endpoints."""

from __future__ import annotations

import pytest
from support import API, AUTH, CheckedClient, new_batch


def test_pages_cover_everything_once(client: CheckedClient) -> None:
    created = [new_batch(client, name=f"b{i}")["id"] for i in range(7)]
    seen: list[str] = []
    offset = 0
    while True:
        body = client.get(f"{API}/batch-calls", params={"limit": 3, "offset": offset}, headers=AUTH).json()
        seen += [b["id"] for b in body["data"]]
        assert body["pagination"]["total"] == 7 and body["pagination"]["limit"] == 3
        if not body["pagination"]["has_more"]:
            break
        offset += 3
    assert sorted(seen) == sorted(created) and len(seen) == len(set(seen))
    assert seen == list(reversed(created))  # newest first


def test_filters_by_status_and_agent(client: CheckedClient) -> None:
    draft = new_batch(client)["id"]
    running = new_batch(client)["id"]
    client.post(
        f"{API}/batch-calls/{running}/schedule", json={"scheduled_at": "2026-03-09T09:00:00Z"}, headers=AUTH
    )
    by_status = client.get(f"{API}/batch-calls", params={"status": "draft"}, headers=AUTH).json()
    assert [b["id"] for b in by_status["data"]] == [draft]
    by_agent = client.get(f"{API}/batch-calls", params={"agent_id": "agt_other"}, headers=AUTH).json()
    assert by_agent["data"] == [] and by_agent["pagination"]["total"] == 0


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"offset": -1}, "offset"),
        ({"limit": "ten"}, "limit"),
        ({"status": "sleeping"}, "status"),
    ],
)
def test_out_of_range_query_is_422_with_query_loc(
    client: CheckedClient, params: dict[str, object], loc: str
) -> None:
    response = client.get(f"{API}/batch-calls", params=params, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", loc]


def test_offset_past_the_end_is_an_empty_page(client: CheckedClient) -> None:
    new_batch(client)
    largest = client.get(f"{API}/batch-calls", params={"offset": 2147483647}, headers=AUTH)
    assert largest.status_code == 200 and largest.json()["data"] == []
    body = client.get(f"{API}/batch-calls", params={"offset": 50}, headers=AUTH).json()
    assert body["data"] == [] and body["pagination"] == {
        "total": 1,
        "limit": 50,
        "offset": 50,
        "has_more": False,
    }


def test_batch_contacts_filter_and_page(client: CheckedClient) -> None:
    batch_id = new_batch(client)["id"]
    url = f"{API}/batch-calls/{batch_id}/contacts"
    first = client.get(url, params={"limit": 4}, headers=AUTH).json()
    assert len(first["data"]) == 4 and first["pagination"]["has_more"] is True
    none = client.get(url, params={"status": "completed"}, headers=AUTH).json()
    assert none["pagination"]["total"] == 0
