"""Agents, numbers, contacts, folders and the CSV import, through HTTP."""

from __future__ import annotations

from support import API, AUTH, CheckedClient


def test_fixture_agents(client: CheckedClient) -> None:
    agents = {a["id"]: a for a in client.get(f"{API}/agents", headers=AUTH).json()["data"]}
    assert set(agents) == {
        "agt_sandbox_ready",
        "agt_sandbox_no_numbers",
        "agt_sandbox_not_ready",
        "agt_sandbox_inactive",
    }
    assert agents["agt_sandbox_ready"]["ready_for_calls"] is True
    assert agents["agt_sandbox_ready"]["phone_number_ids"] == ["num_sandbox_1", "num_sandbox_2"]
    assert agents["agt_sandbox_not_ready"]["voice_ready"] is False
    assert agents["agt_sandbox_inactive"]["status"] != "active"
    one = client.get(f"{API}/agents/agt_sandbox_ready", headers=AUTH).json()["data"]
    assert one == agents["agt_sandbox_ready"]
    assert client.get(f"{API}/agents/agt_nope", headers=AUTH).status_code == 404


def test_numbers_filter_by_agent(client: CheckedClient) -> None:
    everything = client.get(f"{API}/telephony/numbers", headers=AUTH).json()
    assert everything["pagination"]["total"] == 3
    ready = client.get(
        f"{API}/telephony/numbers", params={"agent_id": "agt_sandbox_ready"}, headers=AUTH
    ).json()
    assert [n["id"] for n in ready["data"]] == ["num_sandbox_1", "num_sandbox_2"]


def test_folders_and_contacts(client: CheckedClient) -> None:
    demo = client.get(f"{API}/contacts/folders/folder_sandbox_demo", headers=AUTH).json()["data"]
    assert demo["contact_count"] == 10
    created = client.post(f"{API}/contacts/folders", json={"name": "Leads"}, headers=AUTH)
    assert created.status_code == 201
    folder_id = created.json()["data"]["id"]
    assert created.headers["location"].endswith(f"/contacts/folders/{folder_id}")
    contact = client.post(
        f"{API}/contacts",
        json={"phone_number": "+14155550300", "first_name": "Lee", "folder_id": folder_id},
        headers=AUTH,
    )
    assert contact.status_code == 201
    contact_id = contact.json()["data"]["id"]
    assert client.get(f"{API}/contacts/{contact_id}", headers=AUTH).json()["data"]["first_name"] == "Lee"
    listed = client.get(f"{API}/contacts", params={"folder_id": folder_id}, headers=AUTH).json()
    assert [c["id"] for c in listed["data"]] == [contact_id]
    assert client.get(f"{API}/contacts", params={"folder_id": "folder_nope"}, headers=AUTH).status_code == 404
    bad = client.post(f"{API}/contacts", json={"phone_number": "12"}, headers=AUTH)
    assert bad.status_code == 422


def test_csv_import_into_a_folder(client: CheckedClient) -> None:
    csv = "phone_number,first_name,last_name,email\n+14155550401,A,B,a@example.com\n+14155550402,,,\n"
    response = client.post(
        f"{API}/contacts/import",
        params={"folder_id": "folder_sandbox_empty"},
        content=csv,
        headers={**AUTH, "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    result = response.json()["data"]
    assert result["imported"] == 2 and result["duplicates"] == 0
    folder = client.get(f"{API}/contacts/folders/folder_sandbox_empty", headers=AUTH).json()["data"]
    assert folder["contact_count"] == 2
    again = client.post(
        f"{API}/contacts/import",
        params={"folder_id": "folder_sandbox_empty"},
        content=csv,
        headers={**AUTH, "Content-Type": "text/csv"},
    )
    assert again.json()["data"]["duplicates"] == 2


def test_csv_import_without_phone_column_is_422(client: CheckedClient) -> None:
    response = client.post(
        f"{API}/contacts/import", content="name\nAda\n", headers={**AUTH, "Content-Type": "text/csv"}
    )
    assert response.status_code == 422
