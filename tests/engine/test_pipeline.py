"""The engine's pipeline through HTTP: routing errors, body checks, Prefer, request ids."""

from __future__ import annotations

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
