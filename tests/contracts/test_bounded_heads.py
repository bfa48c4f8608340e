"""contracts/bounded_heads.py under `batchcalls-mock serve` and the proxy: a request head that comes
too slowly, or never, closes its connection; one too large is a bare 431; requests go on as before."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Iterator
from typing import cast
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
import uvloop
from recording_transport import Recording
from support import AUTH, live_server, start_server
from test_proxy import proxy
from uvicorn.server import ServerState

from contracts.bounded_heads import MAX_HEAD_BYTES, bounded_heads

DEADLINE = 0.5  # --head-timeout of these tests, in seconds


@pytest.fixture(scope="module")
def sandbox() -> Iterator[str]:
    with live_server("--clock", "manual", "--quiet", "--head-timeout", str(DEADLINE)) as base:
        yield base


def connect(base: str) -> socket.socket:
    where = urlsplit(base)
    conn = socket.create_connection((where.hostname, where.port), timeout=10)
    return conn


def closed_after(conn: socket.socket) -> float:
    """Seconds until the server closes `conn` (reading whatever it sends first)."""
    started = time.monotonic()
    with conn:
        while conn.recv(65536):
            pass
    return time.monotonic() - started


def test_a_head_that_never_ends_closes_its_connection(sandbox: str) -> None:
    conn = connect(sandbox)
    conn.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and nothing more
    assert closed_after(conn) < DEADLINE + 5


def test_a_connection_that_sends_nothing_is_closed(sandbox: str) -> None:
    assert closed_after(connect(sandbox)) < DEADLINE + 5


def test_after_an_answer_the_next_head_has_its_own_deadline(sandbox: str) -> None:
    conn = connect(sandbox)
    conn.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert conn.recv(65536).startswith(b"HTTP/1.1 200")
    time.sleep(DEADLINE / 2)
    conn.sendall(b"GET /_mock/health HTTP/1.1\r\n")  # started on time, never finished
    assert closed_after(conn) < DEADLINE + 5


def test_a_head_past_the_bound_is_a_bare_431_before_it_is_read_on(sandbox: str) -> None:
    conn = connect(sandbox)
    conn.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    answer, ended = b"", False
    with conn:
        try:
            for _ in range(4 * MAX_HEAD_BYTES // 8192):  # one field at a time, far past the bound
                conn.sendall(b"X-Filler: " + b"a" * 8192 + b"\r\n")
            while chunk := conn.recv(65536):
                answer += chunk
            ended = True
        except (ConnectionResetError, BrokenPipeError):  # closed with our fields unread (its 431 may be lost)
            ended = True
    assert ended
    assert answer == b"" or answer.startswith(b"HTTP/1.1 431"), answer[:100]


def test_requests_on_time_are_answered_as_before(sandbox: str) -> None:
    with httpx.Client(base_url=sandbox) as client:
        for _ in range(3):
            assert client.get("/api/public/v1/batch-calls", headers=AUTH).status_code == 200
            time.sleep(DEADLINE / 4)
        # a head under the bound but over the sandbox's own limits: its documented 431
        big = client.get("/api/public/v1/batch-calls", headers={**AUTH, "X-Big": "a" * 40_000})
        assert big.status_code == 431 and "request_headers_too_large" in big.text


def test_a_connection_busy_on_time_stays_open_past_many_deadlines(sandbox: str) -> None:
    """One connection, a request every quarter of a deadline (a body too, every other one) for
    five deadlines (past the body's deadline too): every one answered on it, none closed."""
    conn = connect(sandbox)
    body = b'{"name":"kept","agent_id":"agt_sandbox_ready"}'
    auth = f"Authorization: {AUTH['Authorization']}\r\n"
    started = time.monotonic()
    with conn:
        for i in range(20):
            if i % 2:
                conn.sendall(f"POST /api/public/v1/batch-calls HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}"
                             f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                             + body)
            else:
                conn.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            answer = conn.recv(65536)
            assert answer.startswith(b"HTTP/1.1 201" if i % 2 else b"HTTP/1.1 200"), (i, answer[:200])
            time.sleep(DEADLINE / 4)
    assert time.monotonic() - started > 4 * DEADLINE


def test_a_deadline_of_a_fraction_of_a_millisecond_fires_its_timer_once() -> None:
    """Under uvloop (`serve`'s loop) a timer may fire up to a millisecond before its deadline: the
    connection's one timer closes it then, rather than being set again for the sub-millisecond rest
    (which fired it on every turn of the loop until the clock ticked)."""
    fired = []

    class Counted(bounded_heads(0.0105)):  # type: ignore[misc, valid-type]
        def _expire(self) -> None:
            fired.append(self.loop.time())
            super()._expire()

    async def scenario() -> Recording:
        config = uvicorn.Config(lambda *_: None, log_level="warning", lifespan="off")
        config.load()
        recording = Recording()
        Counted(config, ServerState(), {}).connection_made(cast(asyncio.Transport, recording))
        for _ in range(50):
            await asyncio.sleep(0.002)
        return recording

    recording = uvloop.run(scenario())
    assert ("close", None) in recording.calls
    assert len(fired) == 1, fired


def test_the_proxy_gives_a_head_its_client_timeout(sandbox: str) -> None:
    with proxy(sandbox, "--client-timeout", str(DEADLINE)) as (url, _):
        conn = connect(url)
        conn.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        assert closed_after(conn) < DEADLINE + 5
        assert httpx.get(f"{url}/_mock/health").status_code == 200


def test_a_request_whose_head_is_refused_is_never_run(sandbox: str) -> None:
    """Its credentials first, then a header past the bound: the 431 is all that happens (httptools
    parsed on to the end of the head, and the request ran without its last headers)."""
    with httpx.Client(base_url=sandbox) as client:
        created = client.post("/api/public/v1/batch-calls", headers=AUTH,
                              json={"name": "kept", "agent_id": "agt_sandbox_ready"})
        assert created.status_code == 201, created.text
        batch = created.json()["data"]["id"]
        conn = connect(sandbox)
        head = f"DELETE /api/public/v1/batch-calls/{batch} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        head += f"Authorization: {AUTH['Authorization']}\r\n"
        head += "X-Filler: " + "a" * (MAX_HEAD_BYTES + 100) + "\r\n\r\n"
        with conn:
            try:
                conn.sendall(head.encode())
                while conn.recv(65536):
                    pass
            except (ConnectionResetError, BrokenPipeError):
                pass
        assert client.get(f"/api/public/v1/batch-calls/{batch}", headers=AUTH).status_code == 200


def test_a_client_that_half_closes_after_its_request_gets_its_answer(sandbox: str) -> None:
    """`printf ... | nc -N`: the request, then the end of what the client sends (FIN), then it reads.
    The answer waits for the end of the event loop's turn (contracts/coalesced_writes.py); the FIN
    read meanwhile closed the connection under it, and the answer was dropped: an empty reply to a
    create that was made."""
    body = b'{"name":"half-closed","agent_id":"agt_sandbox_ready"}'
    head = (f"POST /api/public/v1/batch-calls HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: {AUTH['Authorization']}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    for _ in range(20):
        conn = connect(sandbox)
        with conn:
            conn.sendall(head + body)
            conn.shutdown(socket.SHUT_WR)
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 201 "), answer[:200]


def test_a_body_sent_a_byte_at_a_time_closes_its_connection(sandbox: str) -> None:
    """A key holder's body, a byte every tenth of a second for ever: closed three deadlines after
    its head, where it held its connection for good."""
    conn = connect(sandbox)
    head = "POST /api/public/v1/batch-calls HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    head += f"Authorization: {AUTH['Authorization']}"
    conn.sendall((head + "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n").encode())
    started = time.monotonic()
    with conn:
        try:
            while time.monotonic() - started < 3 * DEADLINE + 5:
                conn.sendall(b" ")
                time.sleep(0.1)
        except (ConnectionResetError, BrokenPipeError):
            pass
    assert time.monotonic() - started < 3 * DEADLINE + 5


SPEC = b"GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"  # a 215 KB answer


def spec_answers(conn: socket.socket, pipelined: int) -> int:
    """`pipelined` requests of the spec sent at once on `conn` (as far as the server reads them):
    the bytes of their answers' bodies."""
    where = conn.getpeername()
    size = len(httpx.get(f"http://{where[0]}:{where[1]}/openapi.json").content)
    conn.setblocking(False)
    requests, sent = SPEC * pipelined, 0
    deadline = time.monotonic() + 2
    while sent < len(requests) and time.monotonic() < deadline:
        try:
            sent += conn.send(requests[sent:])
        except BlockingIOError:
            time.sleep(0.01)
    conn.setblocking(True)
    return pipelined * size


def received(conn: socket.socket, within: float) -> int:
    """Bytes read from `conn` until it ends (or `within` seconds pass)."""
    conn.settimeout(within)
    got = 0
    with contextlib.suppress(ConnectionResetError, TimeoutError):
        while chunk := conn.recv(65536):
            got += len(chunk)
    return got


def test_a_client_that_stops_taking_its_answers_loses_its_connection(sandbox: str) -> None:
    """Pipelined requests whose answers are not read: once the server's writes pause, the client
    has three deadlines to take some, else the connection goes with what it did not take (it was
    held, and the request being answered with it, for as long as the client liked)."""
    conn = socket.socket()
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    where = urlsplit(sandbox)
    conn.connect((where.hostname, where.port))
    with conn:
        answers = spec_answers(conn, 100)
        time.sleep(3 * DEADLINE + 1.5)  # reading nothing
        got = received(conn, within=10)
    assert got < answers / 4, f"{got} of {answers} bytes: the connection was kept"


def test_a_client_that_takes_its_answers_slowly_but_steadily_keeps_its_connection(sandbox: str) -> None:
    """Pipelined requests of 4.3 MB of answers, more than the kernel holds for a connection (at
    most 4 MB here: the writes pause), read a receive buffer's worth (4 KB) every hundredth of a
    second, about 400 KB/s: every answer arrives, for more than the answer's deadline (a deadline
    counting only the writes' pauses asked about 1.3 MB of each period of 1.5 s)."""
    conn = socket.socket()
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    where = urlsplit(sandbox)
    conn.connect((where.hostname, where.port))
    started = time.monotonic()
    with conn:
        answers = spec_answers(conn, 20)
        got = 0
        conn.settimeout(10)
        while got < answers:  # (and their heads)
            chunk = conn.recv(16_384)
            assert chunk, f"closed after {got} of about {answers} bytes"
            got += len(chunk)
            time.sleep(0.01)
    assert time.monotonic() - started > 3 * DEADLINE


def test_one_large_answer_never_read_loses_its_connection(sandbox: str) -> None:
    """A journal page of 9 MB asked for once and never read: its answer is whole at once, so the
    next head's deadline comes first and closes the connection gracefully, which waits for the
    client to take what is buffered; the answer's deadline still drops it, with what the kernel did
    not take yet (it held the connection and its 9 MB for good)."""
    key = {"Authorization": f"Bearer {httpx.post(f'{sandbox}/_mock/workspaces').json()['api_key']}"}
    with httpx.Client(base_url=sandbox, headers=key) as client:
        for _ in range(150):
            named = client.post("/api/public/v1/batch-calls", json={"name": "x" * 60_000})
            assert named.status_code in (201, 422)
        size = len(client.get("/_mock/requests", params={"limit": 1000}).content)
    assert size > 8_000_000
    conn = socket.socket()
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    where = urlsplit(sandbox)
    conn.connect((where.hostname, where.port))
    with conn:
        conn.sendall(f"GET /_mock/requests?limit=1000 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     f"Authorization: {key['Authorization']}\r\n\r\n".encode())
        time.sleep(3 * DEADLINE + 2)  # reading nothing
        got = received(conn, within=10)
    assert got < size * 0.75, f"{got} of {size} bytes: the connection was kept"


def test_a_pipelining_client_dropped_for_not_taking_its_answers_leaves_no_traceback() -> None:
    """uvicorn marks only the last request it parsed as disconnected: the pipelined one being
    answered wrote on to the dropped connection, and uvloop's closed transport raised (an ERROR and
    a traceback in the log per dropped connection, which a tenant could repeat at will)."""
    process, base = start_server("--clock", "manual", "--quiet", "--head-timeout", str(DEADLINE))
    try:
        conn = socket.socket()
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        where = urlsplit(base)
        conn.connect((where.hostname, where.port))
        with conn:
            spec_answers(conn, 100)
            time.sleep(3 * DEADLINE + 1.5)  # reading nothing: dropped
            assert received(conn, within=10) < 100 * 200_000
        assert httpx.get(f"{base}/_mock/health").status_code == 200
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert "Traceback" not in err and "Exception in ASGI application" not in err, err[-2000:]
