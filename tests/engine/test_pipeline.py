"""The engine's pipeline through HTTP: routing errors, body checks, Prefer, request ids."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import orjson
import pytest
from support import API, AUTH, CheckedClient, make_client


def test_unknown_path_is_404_envelope(client: CheckedClient) -> None:
    response = client.get(f"{API}/nowhere", headers=AUTH)
    assert response.status_code == 404
    body = response.json()
    assert body["error"]["code"] == "not_found"
    assert body["meta"]["request_id"] == response.headers["x-request-id"]


def test_wrong_method_is_405_with_allow(client: CheckedClient) -> None:
    response = client.put(f"{API}/batch-calls", headers=AUTH)
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert response.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_bad_json_is_400(client: CheckedClient, raw: bytes) -> None:
    response = client.post(
        f"{API}/batch-calls", content=raw, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


def test_wrong_content_type_is_415(client: CheckedClient) -> None:
    response = client.post(
        f"{API}/batch-calls",
        content=b"name=x",
        headers={**AUTH, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_body_over_the_limit_is_413() -> None:
    with make_client(max_body_bytes=2048) as small:
        response = small.post(
            f"{API}/batch-calls",
            content=b'{"name": "' + b"x" * 4096 + b'"}',
            headers={**AUTH, "Content-Type": "application/json"},
        )
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "payload_too_large"


def test_missing_required_body_is_422(client: CheckedClient) -> None:
    response = client.post(f"{API}/batch-calls", headers=AUTH)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]


def test_request_ids_are_unique_and_echoed(client: CheckedClient) -> None:
    ids = set()
    for _ in range(5):
        response = client.get(f"{API}/agents", headers=AUTH)
        assert response.json()["meta"]["request_id"] == response.headers["x-request-id"]
        assert response.headers["x-request-id"].startswith("req_")
        ids.add(response.headers["x-request-id"])
    assert len(ids) == 5


@pytest.mark.parametrize("code", [429, 500, 404, 422])
def test_prefer_code_forces_the_documented_response(client: CheckedClient, code: int) -> None:
    response = client.get(
        f"{API}/batch-calls/batch_x" if code != 429 else f"{API}/batch-calls",
        headers={**AUTH, "Prefer": f"code={code}"},
    )
    assert response.status_code == code
    if code == 429:
        assert "retry-after" in response.headers


def test_prefer_code_that_is_not_documented_is_422(client: CheckedClient) -> None:
    response = client.get(f"{API}/agents", headers={**AUTH, "Prefer": "code=418"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["header", "Prefer"]


def test_prefer_does_not_bypass_auth(client: CheckedClient) -> None:
    assert client.get(f"{API}/agents", headers={"Prefer": "code=200"}).status_code == 401


def test_head_is_served_like_get(client: CheckedClient) -> None:
    response = client.head(f"{API}/agents", headers=AUTH)
    assert response.status_code == 200


def test_repeated_query_parameters_take_the_last_and_repeated_headers_the_first(
    client: CheckedClient,
) -> None:
    response = client.get(f"{API}/batch-calls?limit=500&limit=5", headers=AUTH)
    assert response.status_code == 200 and response.json()["pagination"]["limit"] == 5
    first_bad = [("Authorization", "Bearer sk_nobody"), ("Authorization", AUTH["Authorization"])]
    assert client.get(f"{API}/agents", headers=first_bad).status_code == 401


def post_in_messages(app: Any, messages: list[dict[str, object]]) -> list[dict[str, Any]]:
    """POST /batch-calls straight through ASGI with the body in the given messages (no
    content-length, as with chunked encoding); the messages the app sent back."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, object]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "method": "POST", "path": f"{API}/batch-calls", "raw_path": b"", "root_path": "",
        "query_string": b"", "scheme": "http", "http_version": "1.1", "asgi": {"version": "3.0"},
        "headers": [
            (b"authorization", AUTH["Authorization"].encode()),
            (b"content-type", b"application/json"),
        ],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 2),
    }
    asyncio.run(app(scope, receive, send))
    return sent


def chunks(body: bytes, size: int) -> list[dict[str, object]]:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    last = len(parts) - 1
    return [{"type": "http.request", "body": part, "more_body": i < last} for i, part in enumerate(parts)]


@pytest.mark.in_process  # sends ASGI messages to the app itself
def test_a_client_gone_mid_body_gets_no_answer_and_changes_nothing(client: CheckedClient) -> None:
    """The body never completes: nothing is created and nothing is sent (nobody is listening)."""
    body = b'{"name": "Half", "agent_id": "agt_sandbox_ready", "contacts": [{"phone_number": "+1415'
    messages = [{"type": "http.request", "body": body, "more_body": True}, {"type": "http.disconnect"}]
    assert post_in_messages(client.app, messages) == []
    assert client.get(f"{API}/batch-calls", headers=AUTH).json()["pagination"]["total"] == 0


@pytest.mark.in_process  # sends ASGI messages to the app itself
def test_a_body_in_many_messages_is_read_whole_and_checked_against_the_limit() -> None:
    body = orjson.dumps({"name": "Chunked", "agent_id": "agt_sandbox_ready", "contacts": [
        {"phone_number": f"+1415555{i:04d}"} for i in range(40)]})
    with make_client(max_body_bytes=len(body) + 10) as small:
        sent = post_in_messages(small.app, chunks(body, 100))
        assert sent[0]["status"] == 201
        assert orjson.loads(sent[1]["body"])["data"]["total_contacts"] == 40
        sent = post_in_messages(small.app, chunks(body + b" " * 20, 100))  # past the limit, undeclared
        assert sent[0]["status"] == 413
        assert orjson.loads(sent[1]["body"])["error"]["code"] == "payload_too_large"


@pytest.mark.in_process  # counts the garbage its own app leaves
def test_a_request_answered_422_leaves_no_reference_cycle(client: CheckedClient) -> None:
    """`serve`'s collector skips young collections while they find nothing (mock_server/heap.py), so
    a cycle made by each 422 (the validation error kept in the frame its traceback holds, with the
    request's body) was frozen with its body: 0.2 MB kept per 422 of 200 KB in a run of creates."""
    pad = "x" * 100_000
    invalid = orjson.dumps({"name": 5, "agent_id": "agt_sandbox_ready", "contacts": [], "pad": pad})
    valid = orjson.dumps({"name": "Fine", "agent_id": "agt_sandbox_ready", "contacts": [], "pad": pad})

    def garbage_after(body: bytes) -> int:
        gc.collect()
        statuses = [post_in_messages(client.app, chunks(body, len(body)))[0]["status"] for _ in range(10)]
        assert set(statuses) == ({422} if body is invalid else {201})
        return gc.collect()

    enabled = gc.isenabled()
    gc.disable()
    try:
        baseline = garbage_after(valid)  # (what each `asyncio.run` may leave)
        assert garbage_after(invalid) <= baseline
    finally:
        if enabled:
            gc.enable()
