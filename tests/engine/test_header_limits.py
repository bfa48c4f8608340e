"""Oversized request headers are refused with 431 before any other work (issue 20, defect 3): at most
100 header fields and 32 KiB of names and values, each refusal in the envelope of the dialect the
path falls under, kept in no journal; and on a real server (uvicorn with httptools) it is this 431
that a client meets, not an answer of the HTTP server's own."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from support import API, AUTH, ZUDU_AUTH, CheckedClient, live_server, make_client

from mock_server.engine.header_limits import MAX_HEADER_BYTES, MAX_HEADER_FIELDS

PATHS = {  # path: how its dialect writes the 431
    f"{API}/batch-calls": lambda body: body["error"]["code"],
    f"{API}/nowhere": lambda body: body["error"]["code"],
    "/batch-call/list": lambda body: body["message"],
    "/_mock/clock": lambda body: body["error"]["code"],
    "/_mock/nowhere": lambda body: body["error"]["code"],
    "/openapi.json": lambda body: body["error"]["code"],
}
REFUSED = {"request_headers_too_large", "Request header fields too large"}


def own_headers(client: CheckedClient) -> dict[str, str]:
    """The headers the test client sends of its own, read back from the request journal."""
    client.get("/_mock/clock")
    [entry] = client.get("/_mock/requests", params={"limit": 1}).json()["data"]
    client.delete("/_mock/requests")
    own: dict[str, str] = entry["request_headers"]
    return own


def size(headers: dict[str, str]) -> int:
    return sum(len(name) + len(value) for name, value in headers.items())


def padded(client: CheckedClient, total: int, headers: dict[str, str]) -> dict[str, str]:
    """`headers` and a padding header that make the request's names and values exactly `total` bytes."""
    used = size(own_headers(client)) + size(headers) + len("x-pad")
    return {**headers, "x-pad": "p" * (total - used)}


@pytest.mark.parametrize("path", PATHS)
def test_one_byte_over_the_limit_is_a_431_in_the_paths_envelope(client: CheckedClient, path: str) -> None:
    auth = {} if path == "/openapi.json" else ZUDU_AUTH if path.startswith("/batch-call/") else AUTH
    at_limit, over = padded(client, MAX_HEADER_BYTES, auth), padded(client, MAX_HEADER_BYTES + 1, auth)
    fits = client.get(path, headers=at_limit)
    assert fits.status_code != 431
    refused = client.get(path, headers=over)
    assert refused.status_code == 431, refused.text
    assert PATHS[path](refused.json()) in REFUSED
    assert refused.headers["x-request-id"].startswith("req_")
    kept = client.get("/_mock/requests").json()["data"]  # the 431 is in no journal
    assert [e["request_id"] for e in kept] == [fits.headers["x-request-id"]]


def test_one_header_field_too_many_is_a_431(client: CheckedClient) -> None:
    own = len(own_headers(client))
    at_limit = {f"x-f{i}": "v" for i in range(MAX_HEADER_FIELDS - own)}
    assert client.get("/_mock/clock", headers=at_limit).status_code == 200
    over = {f"x-f{i}": "v" for i in range(MAX_HEADER_FIELDS - own + 1)}
    refused = client.get("/_mock/clock", headers=over)
    assert refused.status_code == 431
    assert refused.json()["error"]["code"] == "request_headers_too_large"
    limits = {"limit_fields": MAX_HEADER_FIELDS, "limit_bytes": MAX_HEADER_BYTES}
    assert refused.json()["error"]["details"] == limits


def test_a_refused_write_changes_nothing() -> None:
    with make_client() as client:
        refused = client.post(f"{API}/batch-calls", json={"name": "x", "agent_id": "agt_sandbox_ready"},
                              headers={**AUTH, "x-pad": "p" * MAX_HEADER_BYTES})
        assert refused.status_code == 431
        assert client.get(f"{API}/batch-calls", headers=AUTH).json()["pagination"]["total"] == 0


def raw_request(base: str, head: bytes) -> tuple[int, dict[str, Any]]:
    """One request written byte for byte (no client adds a header), and its status and JSON body."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(head)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head_part, _, body = answer.partition(b"\r\n\r\n")
    status = int(head_part.split(b" ", 2)[1])
    return status, json.loads(body) if body else {}


def request_with(total: int, fields: int = 2) -> bytes:
    """A GET whose header names and values hold `total` bytes in `fields` fields (a Host among them)."""
    lines = [(b"host", b"localhost")]
    for i in range(fields - 2):
        lines.append((b"x-f%d" % i, b"v"))
    used = sum(len(n) + len(v) for n, v in lines) + len(b"x-pad")
    lines.append((b"x-pad", b"p" * (total - used)))
    head = b"GET /api/public/v1/agents HTTP/1.1\r\n" + b"".join(n + b": " + v + b"\r\n" for n, v in lines)
    return head + b"connection: close\r\n\r\n"  # (11 + 5 bytes more)


def test_a_real_server_answers_the_431_itself_at_the_edges() -> None:
    """uvicorn with httptools accepts any header size (serve bounds heads at 1 MiB, bare, in
    contracts/bounded_heads.py): the sandbox's limit is the one a client meets."""
    framing = len(b"connection") + len(b"close")
    with live_server("--clock", "manual") as base:
        status, _ = raw_request(base, request_with(MAX_HEADER_BYTES - framing))
        assert status == 401  # fits: on to authentication
        status, body = raw_request(base, request_with(MAX_HEADER_BYTES - framing + 1))
        assert status == 431 and body["error"]["code"] == "request_headers_too_large"
        status, _ = raw_request(base, request_with(2000, fields=MAX_HEADER_FIELDS - 1))
        assert status == 401
        status, body = raw_request(base, request_with(2000, fields=MAX_HEADER_FIELDS))
        assert status == 431 and "101 header fields" in body["error"]["message"]
        status, body = raw_request(base, request_with(512 * 1024))
        assert status == 431 and body["error"]["code"] == "request_headers_too_large"


def test_a_refused_write_is_not_in_the_state_file(tmp_path: Path) -> None:
    state_file = tmp_path / "state.db"
    with make_client(state_file=state_file) as client:
        refused = client.post("/_mock/clock/advance", json={"seconds": 60},
                              headers={"x-pad": "p" * MAX_HEADER_BYTES})
        assert refused.status_code == 431
        assert client.get("/_mock/clock").json()["now"].startswith("2026-03-02T08:00:00")
    with make_client(state_file=state_file) as again:
        assert again.app.state.persistence.report.requests == 0  # type: ignore[attr-defined]
