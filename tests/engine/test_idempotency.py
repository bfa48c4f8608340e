"""X-Idempotency-Key through HTTP: replay, reuse with another body, and in progress."""

from __future__ import annotations

import asyncio

import httpx2 as httpx
import pytest
from support import API, AUTH, START, CheckedClient, make_client

from mock_server.app import create_app
from mock_server.engine.idempotency import IdempotencyRecord, KeptRecords, size_of
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


def create(client: CheckedClient, key: str, name: str = "Keyed") -> httpx.Response:
    body = {"name": name, "agent_id": "agt_sandbox_ready"}
    return client.post(f"{API}/batch-calls", json=body, headers={**AUTH, "X-Idempotency-Key": key})


def test_past_the_count_bound_the_oldest_key_is_forgotten() -> None:
    with make_client(max_idempotency_keys=2) as client:
        first = [create(client, key).json()["data"]["id"] for key in ("k1", "k2")]
        assert create(client, "k1").headers.get("idempotent-replayed") == "true"  # both kept
        create(client, "k3")  # a third: k1, the oldest, goes
        assert create(client, "k2").json()["data"]["id"] == first[1]
        again = create(client, "k1")
        assert again.status_code == 201 and "idempotent-replayed" not in again.headers
        assert again.json()["data"]["id"] != first[0]


@pytest.mark.in_process
def test_past_the_byte_bound_the_oldest_keys_are_forgotten() -> None:
    with make_client() as probe:
        size = kept_bytes(probe, create(probe, "k1"))
    with make_client(max_idempotency_bytes=2 * size + 10) as client:  # room for two answers, not three
        ids = {key: create(client, key).json()["data"]["id"] for key in ("k1", "k2")}
        assert create(client, "k1").headers.get("idempotent-replayed") == "true"
        create(client, "k3")
        assert create(client, "k2").json()["data"]["id"] == ids["k2"]
        assert "idempotent-replayed" not in create(client, "k1").headers
    with make_client(max_idempotency_bytes=size - 1) as tiny:  # no answer fits: none is kept
        created = create(tiny, "k1")
        assert "idempotent-replayed" not in create(tiny, "k1").headers
        assert created.status_code == 201


def kept_bytes(client: CheckedClient, answer: httpx.Response) -> int:
    """What the sandbox counts for one kept answer (its bound is documented in these terms)."""
    records = client.app.state.sandbox.default_world.idempotency_records()  # type: ignore[attr-defined]
    assert len(records) == 1 and answer.status_code == 201
    return int(records.bytes)


def test_keys_expire_after_24_hours_of_simulated_time_and_are_swept(client: CheckedClient) -> None:
    first = create(client, "k1").json()["data"]["id"]
    client.post("/_mock/clock/advance", json={"seconds": 24 * 3600 - 1})
    assert create(client, "k1").json()["data"]["id"] == first
    client.post("/_mock/clock/advance", json={"seconds": 1})
    assert create(client, "k1").json()["data"]["id"] != first


def record(body: bytes = b"", expires_at: float = 100.0) -> IdempotencyRecord:
    return IdempotencyRecord(b"=f", expires_at, in_progress=False, status=201, body=body)


def test_kept_records_count_everything_they_hold_and_drop_the_oldest() -> None:
    one = size_of("k1", record(b"x" * 100))
    records = KeptRecords(max_keys=3, max_bytes=2 * one)
    records.put("k1", record(b"x" * 100))
    records.put("k2", record(b"y" * 100))
    assert records.bytes == 2 * one and len(records) == 2  # exactly at the byte bound: both kept
    records.put("k3", record(b"z" * 100))
    assert [r.body[:1] for r in records.values()] == [b"y", b"z"] and records.bytes == 2 * one
    records.put("k2", record(b"y" * 10))  # counted again, smaller, in its place
    assert records.bytes == 2 * one - 90 and records.get("k2") is not None
    records.put("big", record(b"b" * 2 * one))  # alone over the bound: not kept, nothing else lost
    assert records.get("big") is None and len(records) == 2
    counted = KeptRecords(max_keys=2, max_bytes=10**9)
    for key in ("a", "b", "c"):
        counted.put(key, record())
    assert [counted.get(k) is not None for k in ("a", "b", "c")] == [False, True, True]


def test_expired_records_go_from_the_front() -> None:
    records = KeptRecords(max_keys=10, max_bytes=10**9)
    for key, expires in (("a", 10.0), ("b", 20.0), ("c", 30.0)):
        records.put(key, record(expires_at=expires))
    records.forget_expired(20.0)  # expiring at 20 is expired at 20
    assert [records.get(k) is not None for k in ("a", "b", "c")] == [False, False, True]
    assert records.bytes == size_of("c", record())
