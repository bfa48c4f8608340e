"""Per-workspace quotas through Zudu's API: a 409 in Zudu's envelope (checked against
openapi.zudu.json by the client) that names the quota, stores nothing and starts nothing; Truedy's
and Zudu's batch calls share one count, and a deleted draft gives its room back."""

from __future__ import annotations

from typing import Any

from support import API, AUTH, ZUDU_AUTH, CheckedClient, make_client

FIXTURE_CONTACTS = 10  # the demo folder's, in the contact directory of the same workspace


def create(client: CheckedClient, tasks: int = 1, **fields: Any) -> Any:
    body = {"from_number": "+14157774444",
            "tasks": [{"to_number": f"+1213777{n:04d}"} for n in range(tasks)], **fields}
    return client.post("/batch-call", json=body, headers=ZUDU_AUTH)


def refused(response: Any, quota: str, limit: int, in_use: int, requested: int) -> None:
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["message"] == "Conflict"
    assert body["status"] == "error"
    assert body["error"].startswith(f"Quota exceeded ({quota}): the workspace holds {in_use} of its {limit} ")
    assert body["error"].endswith(f"and this request would add {requested}; delete some to make room")


def listed(client: CheckedClient) -> int:
    answer = client.get("/batch-call/list", headers=ZUDU_AUTH)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["data"]["pagination"]["total_count"])


def test_the_last_batch_call_that_fits_is_created_and_the_next_is_refused() -> None:
    with make_client(max_batches=2) as client:
        first = create(client)
        assert first.status_code == 201, first.text
        assert create(client).status_code == 201  # at the quota
        refused(create(client), "batch_calls", 2, 2, 1)
        assert listed(client) == 2
        batch_id = first.json()["data"]["batch_call_id"]
        assert client.delete(f"/batch-call/{batch_id}", headers=ZUDU_AUTH).status_code == 200
        assert create(client).status_code == 201


def test_both_apis_batch_calls_share_one_count() -> None:
    with make_client(max_batches=2) as client:
        truedy = {"name": "T", "agent_id": "agt_sandbox_ready",
                  "contacts": [{"phone_number": "+14155550100"}]}
        assert client.post(f"{API}/batch-calls", json=truedy, headers=AUTH).status_code == 201
        assert create(client).status_code == 201
        refused(create(client), "batch_calls", 2, 2, 1)
        answer = client.post(f"{API}/batch-calls", json=truedy, headers=AUTH)
        assert answer.status_code == 409 and answer.json()["error"]["details"]["quota"] == "batch_calls"


def test_tasks_are_contact_rows_and_a_refused_send_starts_nothing() -> None:
    with make_client(max_contacts=FIXTURE_CONTACTS + 3) as client:
        assert create(client, tasks=2).status_code == 201
        events = client.get("/_mock/events").json()["data"]
        refused(create(client, tasks=2, send_now=True), "contacts", 13, 12, 2)
        assert listed(client) == 1
        assert client.get("/_mock/events").json()["data"] == events  # nothing was dialled
        assert create(client, tasks=1, send_now=True).status_code == 201  # 13 of 13
