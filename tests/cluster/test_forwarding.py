"""What travels with a forwarded request (cluster/forwarding.py): the request as its client sent it
comes back whole at the owner, only with the instance secret; the forwarding headers never reach
the app, trusted or not."""

from __future__ import annotations

import base64
from typing import Any

from mock_server.cluster.forwarding import REQUEST_HEADER, SECRET_HEADER, packed, received

SECRET = "s3cret-of-the-sandbox"
SENT: dict[str, Any] = {
    "type": "http", "method": "POST", "path": "/api/public/v1/batch-calls/a b",
    "raw_path": b"/api/public/v1/batch-calls/a%20b",
    "query_string": b"x=1&y=%C3%A9", "client": ("203.0.113.7", 50123),
    "headers": [(b"host", b"sandbox.example"), (b"authorization", b"Bearer k"), (b"x-note", b"caf\xe9"),
                (b"x-note", b"twice")],
}


def arriving(secret: bytes, request: bytes) -> dict[str, Any]:
    """The scope at the owner: what the forwarding client sent, not what the client did."""
    return {"type": "http", "method": "POST", "path": "/elsewhere", "raw_path": b"/elsewhere",
            "query_string": b"", "client": ("127.0.0.1", 40000),
            "headers": [(b"host", b"sandbox.example"), (SECRET_HEADER, secret), (REQUEST_HEADER, request),
                        (b"user-agent", b"python-httpx")]}


def test_the_owner_sees_the_request_as_its_client_sent_it() -> None:
    scope = arriving(SECRET.encode(), packed(SENT))
    assert received(scope, SECRET)
    assert scope == SENT


def test_without_the_secret_the_packed_request_is_ignored_and_both_headers_dropped() -> None:
    for proof in (b"", b"guess", SECRET.encode() + b"x"):
        scope = arriving(proof, packed(SENT))
        assert not received(scope, SECRET)
        assert scope["path"] == "/elsewhere"
        assert scope["headers"] == [(b"host", b"sandbox.example"), (b"user-agent", b"python-httpx")]
    assert not received(arriving(b"", packed(SENT)), "")  # an instance with no secret trusts nothing


def test_a_malformed_packed_request_is_not_trusted_even_with_the_secret() -> None:
    half = base64.b64encode(b'{"headers": [["authorization", "Bearer k"]]}')  # no path
    for request in (b"not base64!", base64.b64encode(b"[1, 2]"), base64.b64encode(b'{"headers": 5}'), half):
        scope = arriving(SECRET.encode(), request)
        assert not received(scope, SECRET)
        assert [name for name, _ in scope["headers"]] == [b"host", b"user-agent"]
