"""CSV uploads meet the rules of JSON contacts, by physical line, whatever the file holds
(issue 11, defects 6, 8, 9)."""

from __future__ import annotations

from typing import Any

import pytest
from support import API, AUTH, CheckedClient

CSV = {**AUTH, "Content-Type": "text/csv"}


def draft(client: CheckedClient) -> str:
    body = {"name": "csv", "agent_id": "agt_sandbox_ready"}
    created = client.post(f"{API}/batch-calls", json=body, headers=AUTH)
    return str(created.json()["data"]["id"])


def upload(client: CheckedClient, where: str, text: str) -> Any:
    path = f"{API}/contacts/import" if where == "import" else f"{API}/batch-calls/{draft(client)}/contacts"
    return client.post(path, content=text.encode(), headers=CSV)


def violations(response: Any) -> list[tuple[list[Any], str]]:
    assert response.status_code == 422, response.text
    return [(d["loc"], d["type"]) for d in response.json()["detail"]]


@pytest.mark.parametrize("where", ["import", "batch"])
def test_a_field_past_the_csv_limit_is_a_422_naming_its_line(client: CheckedClient, where: str) -> None:
    text = "phone_number,first_name\n+14155550201,Ann\n+14155550202," + "x" * 131_073 + "\n"
    [(loc, kind)] = violations(upload(client, where, text))
    assert loc == ["body", 3] and kind == "value_error"


@pytest.mark.parametrize("where", ["import", "batch"])
def test_csv_rows_get_the_rules_of_json_contacts(client: CheckedClient, where: str) -> None:
    text = (
        "phone_number,first_name,last_name,email\n"
        f"+14155550201,{'a' * 300},Ok,\n"
        "+14155550202,Bob,,not-an-email\n"
        f"+14155550203,Cy,{'b' * 101},cy@example.com\n"
        "+14155550204,Di,,di@example.com\n"
    )
    assert violations(upload(client, where, text)) == [
        (["body", 2, "first_name"], "string_too_long"),
        (["body", 3, "email"], "format_error"),
        (["body", 4, "last_name"], "string_too_long"),
    ]
    batch_id = draft(client)
    as_json = client.post(
        f"{API}/batch-calls/{batch_id}/contacts",
        json={"contacts": [{"phone_number": "+14155550201", "first_name": "a" * 300},
                           {"phone_number": "+14155550202", "email": "not-an-email"}]},
        headers=AUTH,
    )
    assert [kind for _, kind in violations(as_json)] == ["string_too_long", "format_error"]


def test_error_lines_are_physical_lines_after_a_quoted_newline(client: CheckedClient) -> None:
    text = 'phone_number,first_name\n+14155550201,"Ann\nMarie"\n\n+14155550202,Bob\nnope,Cy\n'
    found = violations(upload(client, "batch", text))
    assert found == [(["body", 6, "phone_number"], "string_pattern_mismatch")]


def test_a_rejected_csv_keeps_nothing(client: CheckedClient) -> None:
    before = client.get(f"{API}/contacts", headers=AUTH).json()["pagination"]["total"]
    text = "phone_number,email\n+14155550301,ok@example.com\n+14155550302,bad\n"
    assert upload(client, "import", text).status_code == 422
    assert client.get(f"{API}/contacts", headers=AUTH).json()["pagination"]["total"] == before
