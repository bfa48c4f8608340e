"""A tenant that sends requests and never reads their answers holds up only itself, as in one
process: not its workspace's other clients, another workspace, the instance's health, a reset of
everything (the owner's locks are let go before an answer is sent, `cluster/middleware.py`), nor
the other clients an instance forwards to the same owner (a forward gives its connection to the
owner back before it sends the answer on, `cluster/forwarding.py`)."""

from __future__ import annotations

import contextlib
import re
import socket
import time
from collections.abc import Iterator

import httpx
from instances import Instance
from owned import owned_workspace
from support import API, CAMPAIGN

WAIT = 5.0  # seconds each other request gets (each took a few milliseconds)


def workspaces(base: str) -> tuple[dict[str, str], dict[str, str]]:
    """The keys of two workspaces owned by the instance at `base`, the first with 40 batch calls of
    long names (a list of 100 is about 25 KB)."""
    (_, key), (_, other) = owned_workspace(base), owned_workspace(base)
    for _ in range(40):
        answer = httpx.post(f"{base}{API}/batch-calls", json={**CAMPAIGN, "name": "n" * 255}, headers=key)
        assert answer.status_code == 201
    return key, other


def count(base: str, metric: str) -> float:
    """A counter of the instance's `GET /_mock/metrics`."""
    text = httpx.get(f"{base}/_mock/metrics", timeout=WAIT).text
    found = re.search(rf"^{metric}_total (\S+)$", text, re.M)
    assert found, metric
    return float(found.group(1))


def stuck(base: str, metric: str) -> None:
    """Once `metric` (what the instance counts of the unread requests) stops growing: every
    unread connection's answers fill what the kernel and uvicorn buffer (20 s at most)."""
    deadline = time.monotonic() + 20
    last = -1.0
    while (now := count(base, metric)) != last or not now:
        assert time.monotonic() < deadline, f"{metric} kept growing"
        last = now
        time.sleep(0.5)


@contextlib.contextmanager
def unread(base: str, key: dict[str, str], connections: int, metric: str,
           requests: int = 2_000) -> Iterator[None]:
    """`connections` connections, each sent `requests` pipelined list reads (for at most 2 s, as
    far as the server takes them) whose answers nobody reads, until the instance is stuck sending
    them: closed at the end."""
    host, port = base.removeprefix("http://").rsplit(":", 1)
    read = (f"GET {API}/batch-calls?limit=100 HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: {key['Authorization']}\r\n\r\n").encode() * requests
    opened = []
    try:
        for _ in range(connections):
            sock = socket.socket()
            opened.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect((host, int(port)))
            sock.setblocking(False)
        sent = [0] * connections
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline and min(sent) < len(read):
            for n, sock in enumerate(opened):
                with contextlib.suppress(BlockingIOError):
                    sent[n] += sock.send(read[sent[n]:])
            time.sleep(0.01)
        stuck(base, metric)
        yield
    finally:
        for sock in opened:
            sock.close()


def answered(method: str, url: str, **options: object) -> int:
    return httpx.request(method, url, timeout=WAIT, **options).status_code  # type: ignore[arg-type]


def test_an_owner_s_unread_answers_hold_up_no_other_request_of_the_instance(
    two: tuple[Instance, Instance],
) -> None:
    a, _ = two
    key, other = workspaces(a.base)
    with unread(a.base, key, 1, "batchcalls_cluster_reads_from_memory"):
        # the same workspace, another, the instance, everything
        assert answered("GET", f"{a.base}{API}/batch-calls/batch_none", headers=key) == 404
        assert answered("GET", f"{a.base}{API}/batch-calls", headers=other) == 200
        assert answered("POST", f"{a.base}/_mock/reset", params={"scope": "all"}) == 200
        assert answered("GET", f"{a.base}/_mock/health") == 200
        assert answered("POST", f"{a.base}/_mock/workspaces") == 201


def test_unread_answers_forwarded_to_the_owner_hold_up_no_other_forward(
    two: tuple[Instance, Instance],
) -> None:
    a, b = two
    key, other = workspaces(a.base)
    # through the other instance, each read forwarded to `a` (ten held every forward up)
    with unread(b.base, key, 12, "batchcalls_cluster_forwarded"):
        assert answered("GET", f"{b.base}{API}/batch-calls", headers=other) == 200
        assert answered("GET", f"{b.base}{API}/batch-calls/batch_none", headers=key) == 404
