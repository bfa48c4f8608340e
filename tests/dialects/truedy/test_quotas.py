"""Per-workspace quotas through Truedy's API: the last request that fits is taken, the next is a 409
`quota_exceeded` (checked against openapi.json by the client) that stores nothing, and deleting or a
reset gives the room back. The demo folder's 10 contacts and the 2 fixture folders count."""

from __future__ import annotations

from typing import Any

import pytest
from support import API, AUTH, START, CheckedClient, make_client

from mock_server.app import create_app
from mock_server.core import footprint
from mock_server.core.contact_rows import ContactRow
from mock_server.services.quota import held
from mock_server.settings import Settings

FIXTURE_CONTACTS = 10  # the demo folder's
FIXTURE_FOLDERS = 2


def batch_body(*numbers: str) -> dict[str, Any]:
    return {"name": "Quota", "agent_id": "agt_sandbox_ready",
            "contacts": [{"phone_number": n} for n in numbers]}


def create(client: CheckedClient, *numbers: str) -> Any:
    return client.post(f"{API}/batch-calls", json=batch_body(*(numbers or ("+14155550100",))), headers=AUTH)


def upload(client: CheckedClient, batch_id: str, *numbers: str) -> Any:
    body = {"contacts": [{"phone_number": n} for n in numbers]}
    return client.post(f"{API}/batch-calls/{batch_id}/contacts", json=body, headers=AUTH)


def refused(response: Any, quota: str, limit: int, in_use: int, requested: int) -> None:
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "quota_exceeded"
    assert error["details"] == {"quota": quota, "limit": limit, "in_use": in_use, "requested": requested}
    assert f"({quota})" in error["message"]


def total(client: CheckedClient, path: str, **params: Any) -> int:
    answer = client.get(f"{API}{path}", params={"limit": 1, **params}, headers=AUTH)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["pagination"]["total"])


def numbers(first: int, count: int) -> list[str]:
    return [f"+1415555{n:04d}" for n in range(first, first + count)]


# batch calls ---------------------------------------------------------------------------------------
def test_the_last_batch_call_that_fits_is_created_and_the_next_is_refused() -> None:
    with make_client(max_batches=2) as client:
        assert create(client).status_code == 201
        assert create(client).status_code == 201  # at the quota
        refused(create(client), "batch_calls", 2, 2, 1)
        assert total(client, "/batch-calls") == 2


def test_deleting_a_batch_call_gives_its_room_back() -> None:
    with make_client(max_batches=2) as client:
        first = create(client).json()["data"]["id"]
        create(client)
        assert client.delete(f"{API}/batch-calls/{first}", headers=AUTH).status_code == 204
        assert create(client).status_code == 201
        refused(create(client), "batch_calls", 2, 2, 1)


def test_bulk_delete_gives_the_room_back() -> None:
    with make_client(max_batches=2) as client:
        ids = [create(client).json()["data"]["id"] for _ in range(2)]
        deleted = client.post(f"{API}/batch-calls/bulk-delete", json={"ids": ids}, headers=AUTH)
        assert deleted.json()["data"]["deleted_count"] == 2
        assert [create(client).status_code for _ in range(3)] == [201, 201, 409]


def test_a_cancelled_batch_call_counts_until_it_is_removed() -> None:
    with make_client(max_batches=1) as client:
        batch_id = create(client).json()["data"]["id"]
        at = "2026-03-09T09:00:00Z"  # a week after START: nothing is dialled meanwhile
        assert client.post(f"{API}/batch-calls/{batch_id}/schedule", json={"scheduled_at": at},
                           headers=AUTH).status_code == 200
        client.delete(f"{API}/batch-calls/{batch_id}", headers=AUTH)  # stopped, kept as cancelled
        refused(create(client), "batch_calls", 1, 1, 1)
        client.delete(f"{API}/batch-calls/{batch_id}", headers=AUTH)  # removed
        assert create(client).status_code == 201


def test_a_refusal_is_replayed_under_its_idempotency_key_and_a_new_key_is_judged_afresh() -> None:
    with make_client(max_batches=1) as client:
        first = create(client).json()["data"]["id"]
        keyed = {**AUTH, "X-Idempotency-Key": "quota-1"}
        body = batch_body("+14155550100")
        refused(client.post(f"{API}/batch-calls", json=body, headers=keyed), "batch_calls", 1, 1, 1)
        client.delete(f"{API}/batch-calls/{first}", headers=AUTH)
        again = client.post(f"{API}/batch-calls", json=body, headers=keyed)
        assert again.status_code == 409 and again.headers["idempotent-replayed"] == "true"
        fresh = client.post(f"{API}/batch-calls", json=body, headers={**AUTH, "X-Idempotency-Key": "quota-2"})
        assert fresh.status_code == 201, fresh.text


def test_deleting_a_batch_call_gives_back_its_rows_and_bytes() -> None:
    rows = [ContactRow(n) for n in numbers(0, 4)]
    needed = footprint.BATCH_BYTES + sum(footprint.row_bytes(row) for row in rows)
    with make_client(max_contacts=FIXTURE_CONTACTS + 4, max_stored_bytes=fixture_bytes() + needed) as client:
        batch_id = create(client, *numbers(0, 4)).json()["data"]["id"]
        refused(client.post(f"{API}/contacts/folders", json={"name": "x"}, headers=AUTH), "stored_bytes",
                fixture_bytes() + needed, fixture_bytes() + needed, footprint.folder_bytes("x", None))
        refused(client.post(f"{API}/contacts", json={"phone_number": "+14155550199"}, headers=AUTH),
                "contacts", FIXTURE_CONTACTS + 4, FIXTURE_CONTACTS + 4, 1)
        assert client.delete(f"{API}/batch-calls/{batch_id}", headers=AUTH).status_code == 204
        assert create(client, *numbers(10, 4)).status_code == 201  # the same room again, to the byte


def test_a_reset_of_the_workspace_gives_the_room_back() -> None:
    with make_client(max_batches=1) as client:
        create(client)
        refused(create(client), "batch_calls", 1, 1, 1)
        assert client.post("/_mock/reset").status_code == 200
        assert create(client).status_code == 201


def test_a_refused_create_draws_no_id() -> None:
    """What follows a refusal is what would have followed without it: nothing was half-made."""

    def ids(refuse: bool) -> list[str]:
        with make_client(max_batches=1) as client:
            first = create(client).json()["data"]
            if refuse:
                refused(create(client, *numbers(0, 3)), "batch_calls", 1, 1, 1)
            client.delete(f"{API}/batch-calls/{first['id']}", headers=AUTH)
            second = create(client, *numbers(0, 3)).json()["data"]
            listed = client.get(f"{API}/batch-calls/{second['id']}/contacts", headers=AUTH).json()["data"]
            return [first["id"], second["id"], *(c["contact_id"] for c in listed)]

    assert ids(refuse=True) == ids(refuse=False)


# contact rows ------------------------------------------------------------------------------------
def test_contact_rows_are_counted_up_to_the_quota_and_a_refused_upload_keeps_nothing() -> None:
    with make_client(max_contacts=FIXTURE_CONTACTS + 5) as client:
        created = create(client, *numbers(0, 3))
        assert created.status_code == 201
        batch_id = created.json()["data"]["id"]
        assert upload(client, batch_id, *numbers(3, 2)).status_code == 200  # 15 of 15
        before = client.get(f"{API}/batch-calls/{batch_id}/contacts", headers=AUTH).json()["data"]
        refused(upload(client, batch_id, *numbers(5, 1)), "contacts", 15, 15, 1)
        after = client.get(f"{API}/batch-calls/{batch_id}/contacts", headers=AUTH).json()["data"]
        assert after == before
        assert client.get(f"{API}/batch-calls/{batch_id}", headers=AUTH).json()["data"]["total_contacts"] == 5
        # numbers the batch holds already add nothing, so they need no room
        again = upload(client, batch_id, *numbers(0, 2))
        assert again.status_code == 200, again.text
        assert again.json()["data"]["added"] == 0


def test_a_csv_upload_past_the_quota_is_refused_whole() -> None:
    with make_client(max_contacts=FIXTURE_CONTACTS + 3) as client:
        batch_id = create(client).json()["data"]["id"]  # one row: room for 2 more
        csv = "phone_number,first_name\n" + "\n".join(f"{n},Ada" for n in numbers(10, 3))
        headers = {**AUTH, "Content-Type": "text/csv"}
        answer = client.post(f"{API}/batch-calls/{batch_id}/contacts", content=csv, headers=headers)
        refused(answer, "contacts", 13, 11, 3)
        assert total(client, f"/batch-calls/{batch_id}/contacts") == 1
        fits = "phone_number\n" + "\n".join(numbers(10, 2))
        answer = client.post(f"{API}/batch-calls/{batch_id}/contacts", content=fits, headers=headers)
        assert answer.status_code == 200, answer.text
        assert total(client, f"/batch-calls/{batch_id}/contacts") == 3


@pytest.mark.parametrize("room, status", [(10, 201), (9, 409)], ids=["at the quota", "one row short"])
def test_a_batch_from_a_folder_counts_every_contact_it_copies(room: int, status: int) -> None:
    with make_client(max_contacts=FIXTURE_CONTACTS + room) as client:
        body = {"name": "Folder", "agent_id": "agt_sandbox_ready", "contact_source": "folder",
                "contact_folder_id": "folder_sandbox_demo"}
        answer = client.post(f"{API}/batch-calls", json=body, headers=AUTH)
        assert answer.status_code == status, answer.text
        if status == 409:
            refused(answer, "contacts", FIXTURE_CONTACTS + room, FIXTURE_CONTACTS, 10)
            assert total(client, "/batch-calls") == 0


def test_directory_contacts_count_and_an_import_is_refused_whole() -> None:
    with make_client(max_contacts=FIXTURE_CONTACTS + 2) as client:
        one = client.post(f"{API}/contacts", json={"phone_number": "+14155550199"}, headers=AUTH)
        assert one.status_code == 201, one.text
        csv = "phone_number\n+14155550200\n+14155550201\n"
        headers = {**AUTH, "Content-Type": "text/csv"}
        refused(client.post(f"{API}/contacts/import", content=csv, headers=headers), "contacts", 12, 11, 2)
        assert total(client, "/contacts") == FIXTURE_CONTACTS + 1
        assert client.post(f"{API}/contacts", json={"phone_number": "+14155550202"},
                           headers=AUTH).status_code == 201  # 12 of 12
        refused(client.post(f"{API}/contacts", json={"phone_number": "+14155550203"}, headers=AUTH),
                "contacts", 12, 12, 1)
        refused(create(client), "contacts", 12, 12, 1)  # a batch's rows and the directory's: one count


# folders and bytes ---------------------------------------------------------------------------------
def test_folders_are_counted_with_the_fixtures() -> None:
    with make_client(max_folders=FIXTURE_FOLDERS + 1) as client:
        assert client.post(f"{API}/contacts/folders", json={"name": "One"}, headers=AUTH).status_code == 201
        answer = client.post(f"{API}/contacts/folders", json={"name": "Two"}, headers=AUTH)
        refused(answer, "contact_folders", 3, 3, 1)
        assert total(client, "/contacts/folders") == 3


def fixture_bytes() -> int:
    """What a fresh workspace holds, as the byte quota counts it (its fixtures)."""
    world = create_app(Settings(clock="manual", start_at=START)).state.sandbox.default_world
    return held(world.store, world.workspace.id).stored_bytes


@pytest.mark.parametrize("slack, status", [(0, 201), (-1, 409)], ids=["at the quota", "a byte short"])
def test_the_byte_quota_counts_what_the_rows_hold(slack: int, status: int) -> None:
    name = "é" * 99 + "𝔸"  # one astral character: Python keeps every character in 4 bytes
    rows = [ContactRow(n, name, "Lovelace") for n in numbers(0, 3)]
    needed = footprint.BATCH_BYTES + sum(footprint.row_bytes(row) for row in rows)
    limit = fixture_bytes() + needed + slack
    with make_client(max_stored_bytes=limit) as client:
        body = {"name": "Bytes", "agent_id": "agt_sandbox_ready",
                "contacts": [{"phone_number": r.phone_number, "first_name": name, "last_name": "Lovelace"}
                             for r in rows]}
        answer = client.post(f"{API}/batch-calls", json=body, headers=AUTH)
        assert answer.status_code == status, answer.text
        if status == 409:
            refused(answer, "stored_bytes", limit, limit - needed + 1, needed)
        else:
            folder = client.post(f"{API}/contacts/folders", json={"name": "x"}, headers=AUTH)
            refused(folder, "stored_bytes", limit, limit, footprint.folder_bytes("x", None))
