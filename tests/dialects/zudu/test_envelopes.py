"""The engine's answers over Zudu's API: bad bodies, unknown paths, wrong methods, Prefer, idempotency,
all in Zudu's envelope; and the app serving either API alone."""

from __future__ import annotations

from typing import Any

import pytest
from support import API, AUTH, ZUDU_AUTH, CheckedClient, make_client

BODY = {"from_number": "+14157774444", "tasks": [{"to_number": "+12137774445"}]}


def error_of(response: Any, status: int, message: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert (body["message"], body["status"]) == (message, "error")
    assert response.headers["x-request-id"].startswith("req_")
    return str(body["error"])


def test_bad_bodies(client: CheckedClient) -> None:
    headers = {**ZUDU_AUTH, "Content-Type": "application/json"}
    not_json = client.post("/batch-call", content=b"{nope", headers=headers)
    assert error_of(not_json, 400, "Bad request").startswith("Request body is not valid JSON")
    assert error_of(client.post("/batch-call", content=b"[1]", headers=headers), 400, "Bad request") == (
        "Request body must be a JSON object")
    text = {**ZUDU_AUTH, "Content-Type": "text/plain"}
    assert "application/json" in error_of(client.post("/batch-call", content=b"x", headers=text), 415,
                                          "Unsupported media type")
    big = b'{"name": "' + b"x" * 1_100_000 + b'"}'
    error_of(client.post("/batch-call", content=big, headers=headers), 413, "Payload too large")
    missing = client.post("/batch-call", headers=ZUDU_AUTH)
    assert error_of(missing, 422, "Validation error") == "body: Field required"
    assert missing.json()["errors"] == [
        {"field": None, "location": "body", "message": "Field required", "type": "missing"}]


def test_unknown_paths_and_methods_answer_zudus_envelope(client: CheckedClient) -> None:
    assert error_of(client.get("/batch-call/a/b/c", headers=ZUDU_AUTH), 404, "Not found") == (
        "No operation at GET /batch-call/a/b/c")
    listing = client.get("/batch-call", headers=ZUDU_AUTH)  # the list is /batch-call/list
    assert error_of(listing, 405, "Method not allowed") == "Method GET is not allowed here; allowed: POST"
    wrong = client.put("/batch-call/batch_call_x", headers=ZUDU_AUTH)
    assert "PUT" in error_of(wrong, 405, "Method not allowed")
    assert wrong.headers["allow"] == "DELETE, GET, HEAD, PATCH"
    # the literal path /batch-call/list wins over /batch-call/{batch_call_id}
    literal = client.delete("/batch-call/list", headers=ZUDU_AUTH)
    assert literal.status_code == 405 and literal.headers["allow"] == "GET, HEAD, POST"
    # Truedy's paths, and paths of neither API, keep Truedy's envelope
    for path in (f"{API}/nowhere", "/nowhere", "/batch-calls"):
        assert client.get(path).json()["error"]["code"] == "not_found", path
    assert client.head("/batch-call/list", headers=ZUDU_AUTH).status_code == 200


def test_prefer_forces_a_documented_example(client: CheckedClient) -> None:
    forced = client.get("/batch-call/list", headers={**ZUDU_AUTH, "Prefer": "code=429"})
    assert error_of(forced, 429, "Too many requests")
    assert forced.headers["retry-after"] == "60"
    assert client.get("/batch-call/x", headers={**ZUDU_AUTH, "Prefer": "code=503"}).status_code == 503
    undocumented = client.get("/batch-call/list", headers={**ZUDU_AUTH, "Prefer": "code=404"})
    error_of(undocumented, 422, "Validation error")
    assert undocumented.json()["errors"][0]["location"] == "header"
    assert client.get("/batch-call/list", headers={"Prefer": "code=200"}).status_code == 401  # auth first


def test_idempotency_keys_work_over_zudu(client: CheckedClient) -> None:
    headers = {**ZUDU_AUTH, "X-Idempotency-Key": "zudu-1"}
    first = client.post("/batch-call", json=BODY, headers=headers)
    again = client.post("/batch-call", json=BODY, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    other = client.post("/batch-call", json={**BODY, "name": "other"}, headers=headers)
    assert "X-Idempotency-Key" in error_of(other, 422, "Validation error")
    assert "errors" not in other.json()
    assert client.get("/batch-call/list", headers=ZUDU_AUTH).json()["data"]["pagination"]["total_count"] == 1


@pytest.mark.parametrize("dialect", ["zudu", "truedy"])
def test_one_api_alone(dialect: str) -> None:
    with make_client(dialects=(dialect,)) as alone:
        zudu = alone.post("/batch-call", json=BODY, headers=ZUDU_AUTH)
        truedy = alone.get(f"{API}/batch-calls", headers=AUTH)
        if dialect == "zudu":
            assert zudu.status_code == 201
            assert truedy.status_code == 404 and truedy.json()["status"] == "error"  # Zudu's envelope
            assert alone.get("/openapi.json").status_code == 404
        else:
            assert truedy.status_code == 200
            assert zudu.status_code == 404 and zudu.json()["error"]["code"] == "not_found"
            assert alone.get("/openapi.zudu.json").status_code == 404
