"""X-Idempotency-Key through HTTP: replay, reuse with another body, and in progress."""

from __future__ import annotations

import asyncio

import httpx2 as httpx
from support import API, AUTH, START, CheckedClient

from mock_server.app import create_app
from mock_server.settings import Settings

BODY = {"name": "Idem", "agent_id": "agt_sandbox_ready"}


def test_replay_returns_the_first_answer(client: CheckedClient) -> None:
    headers = {**AUTH, "X-Idempotency-Key": "key-1"}
    first = client.post(f"{API}/batch-calls", json=BODY, headers=headers)
    again = client.post(f"{API}/batch-calls", json=BODY, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["x-request-id"] == first.headers["x-request-id"]
    assert client.get(f"{API}/batch-calls", headers=AUTH).json()["pagination"]["total"] == 1


def test_same_key_other_body_is_422(client: CheckedClient) -> None:
    headers = {**AUTH, "X-Idempotency-Key": "key-2"}
    client.post(f"{API}/batch-calls", json=BODY, headers=headers)
    other = client.post(f"{API}/batch-calls", json={**BODY, "name": "Other"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"


def test_large_bodies_are_told_apart_too(client: CheckedClient) -> None:
    """Bodies past a kilobyte are compared by digest rather than byte for byte: same rules."""
    contacts = [{"phone_number": f"+1415555{i:04d}"} for i in range(60)]
    large = {**BODY, "contacts": contacts}
    headers = {**AUTH, "X-Idempotency-Key": "key-large"}
    first = client.post(f"{API}/batch-calls", json=large, headers=headers)
    again = client.post(f"{API}/batch-calls", json=large, headers=headers)
    assert first.status_code == again.status_code == 201 and again.content == first.content
    changed = {**large, "contacts": [*contacts[:-1], {"phone_number": "+14155559999"}]}
    other = client.post(f"{API}/batch-calls", json=changed, headers=headers)
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"


def test_keys_are_scoped_to_the_workspace(client: CheckedClient) -> None:
    other_key = client.post("/_mock/workspaces").json()["api_key"]
    for key in ("sk_test_sandbox", other_key):
        headers = {"Authorization": f"Bearer {key}", "X-Idempotency-Key": "shared"}
        response = client.post(f"{API}/batch-calls", json=BODY, headers=headers)
        assert response.status_code == 201
        assert "idempotent-replayed" not in response.headers


def test_business_errors_are_replayed_too(client: CheckedClient) -> None:
    headers = {**AUTH, "X-Idempotency-Key": "key-3"}
    body = {"name": "x", "agent_id": "agt_sandbox_inactive"}
    first = client.post(f"{API}/batch-calls", json=body, headers=headers)
    again = client.post(f"{API}/batch-calls", json=body, headers=headers)
    assert first.status_code == again.status_code == 422
    assert again.headers["idempotent-replayed"] == "true"


def test_concurrent_replay_while_in_progress_is_409() -> None:
    app = create_app(Settings(clock="manual", start_at=START, latency_ms=200))

    async def race() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as http:
            headers = {**AUTH, "X-Idempotency-Key": "slow"}
            first = asyncio.create_task(http.post(f"{API}/batch-calls", json=BODY, headers=headers))
            await asyncio.sleep(0.05)
            second = await http.post(f"{API}/batch-calls", json=BODY, headers=headers)
            return [await first, second]

    first, second = asyncio.run(race())
    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "idempotency_request_in_progress"
