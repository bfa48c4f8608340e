"""A write whose client went away before the end of its body is not made (as in one process, where
`engine/incoming.py` finds the disconnect): not on the owner, nor forwarded to it. Before, an
instance read what had come as the whole body, made the write and answered nobody, and a
forwarding instance sent the owner that part as a whole body (the adversarial review)."""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest
from instances import Instance
from owned import owned_workspace
from support import API, CAMPAIGN


def abandoned_create(base: str, key: dict[str, str], chunked: bool) -> None:
    """A create whose body is a whole campaign, but less than the request declares (its length, or
    no closing chunk), then the connection closed."""
    host, port = base.rsplit("//", 1)[1].rsplit(":", 1)
    body = json.dumps(dict(CAMPAIGN, name="abandoned")).encode()
    head = (f"POST {API}/batch-calls HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: {key['Authorization']}\r\nContent-Type: application/json\r\n")
    if chunked:
        chunk = f"{len(body):x}\r\n".encode() + body + b"\r\n"  # and never the closing one
        sent = head.encode() + b"Transfer-Encoding: chunked\r\n\r\n" + chunk
    else:
        sent = head.encode() + f"Content-Length: {len(body) + 500}\r\n\r\n".encode() + body
    with socket.create_connection((host, int(port)), timeout=5) as client:
        client.sendall(sent)
        time.sleep(0.2)  # read by the server, which waits for the rest


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_an_abandoned_upload_makes_no_write(two: tuple[Instance, Instance], chunked: bool) -> None:
    a, b = two
    _, key = owned_workspace(b.base)  # b owns it; a forwards its requests there
    for base in (b.base, a.base):
        abandoned_create(base, key, chunked)
    time.sleep(0.5)  # what either instance would have made of them, made
    listed = httpx.get(f"{b.base}{API}/batch-calls", headers=key).json()["data"]
    assert [batch["name"] for batch in listed if batch["name"] == "abandoned"] == []
    for base in (a.base, b.base):  # both still serve the workspace
        assert httpx.post(f"{base}{API}/batch-calls", json=CAMPAIGN, headers=key).status_code == 201
