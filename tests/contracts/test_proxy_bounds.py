"""The proxy against slow or hostile clients and targets: no client holds what the others need, and
no answer costs more than its bounds (README, "Validation proxy": the bounds).

Each test runs the proxy as a user does (a subprocess, --port 0) in front of a hostile_target app.
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

import hostile_target as hostile
import httpx
from test_proxy import API, AUTH, proxy, report

from contracts.inprocess import serve

CLIENT_TIMEOUT = "3"  # seconds: --client-timeout of these tests


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def stalled_upload(port: int, length: int, sent: int) -> socket.socket:
    """A client that announces `length` bytes of body, sends `sent` of them and stalls."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = f"POST /upload HTTP/1.1\r\nHost: proxy.test\r\nContent-Length: {length}\r\n\r\n".encode()
    connection.sendall(head + b"x" * sent)
    return connection


def status_of(connection: socket.socket) -> int:
    """The status the proxy answered on `connection` (0: it closed the connection unanswered)."""
    with connection:
        line = connection.recv(64).split(b"\r\n", 1)[0]
    return int(line.split()[1]) if line.startswith(b"HTTP/1.1 ") else 0


def within(seconds: float, condition: Callable[[], bool]) -> bool:
    """Whether `condition` holds at some point within `seconds` (polled)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def listed(url: str) -> httpx.Response:
    """GET the batch-call list through the proxy; the answer's body as sent (not decoded) in .content."""
    with httpx.Client(timeout=30) as client:
        with client.stream("GET", f"{url}{API}/batch-calls", headers=AUTH) as got:
            got._content = b"".join(got.iter_raw())
    return got


def in_flight(url: str) -> dict[str, Any]:
    flight: dict[str, Any] = report(url).get("in_flight", {})
    return flight


def test_stalled_uploads_hold_nothing_another_client_needs() -> None:
    """205 stalled small uploads and 40 stalled large ones in flight, and another client's request is
    answered at once; the stalled clients are answered 408 once --client-timeout has passed (or 503,
    a large upload that never got its turn)."""
    with serve(hostile.echo) as origin, proxy(origin, "--client-timeout", CLIENT_TIMEOUT) as (url, output):
        port = port_of(url)
        small = [stalled_upload(port, 1_000, 10) for _ in range(205)]
        large = [stalled_upload(port, 2_000_000, 100_000) for _ in range(40)]
        # (a proxy without the counter: let the uploads reach it, as far as they go)
        within(5, lambda: in_flight(url).get("requests") == 245)
        answer = httpx.get(url + "/another-client", timeout=5)  # not waiting for the stalled ones
        flight = in_flight(url)
        small_statuses = [status_of(connection) for connection in small]
        large_statuses = [status_of(connection) for connection in large]
    assert answer.status_code == 200 and answer.json()["target"] == "/another-client"
    assert flight["streaming_uploads"] <= 32  # stalled large uploads hold at most 32 connections
    assert set(small_statuses) == {408}
    assert set(large_statuses) <= {408, 503}
    assert "Traceback" not in "\n".join(output)


def test_a_client_that_never_reads_its_answer_is_dropped() -> None:
    gigabyte = serve(hostile.app_of(hostile.gigabyte))
    with gigabyte as origin, proxy(origin, "--client-timeout", CLIENT_TIMEOUT) as (url, output):
        reader = socket.create_connection(("127.0.0.1", port_of(url)), timeout=30)
        reader.sendall(b"GET /a-gigabyte HTTP/1.1\r\nHost: proxy.test\r\n\r\n")  # and reads nothing
        dropped = within(20, lambda: report(url).get("refused", {}).get("answer not taken in time") == 1)
        reader.close()
    assert dropped, "\n".join(output)


def test_a_compressed_answer_is_checked_and_forwarded_unchanged() -> None:
    gzipped = hostile.gzip_of(hostile.BROKEN_ENVELOPE)
    with serve(hostile.answering_bytes(gzipped, b"gzip")) as origin, proxy(origin) as (url, _):
        got = listed(url)
        seen = report(url)
    assert got.content == gzipped and got.headers["content-encoding"] == "gzip"
    failed = {finding["id"] for finding in seen["findings"]}
    assert "proxy/list_batch_calls/truedy_success_envelope" in failed, seen


def test_a_decompression_bomb_is_not_checked_and_costs_its_bound() -> None:
    """256 MiB of zeros in 256 KiB of gzip: forwarded as sent, decoded up to 1 MiB, then left unchecked."""
    bomb = hostile.bomb()
    processes: list[subprocess.Popen[str]] = []
    target = serve(hostile.answering_bytes(bomb, b"gzip"))
    with target as origin, proxy(origin, processes=processes) as (url, _):
        assert listed(url).content == bomb
        seen = report(url)
        peak = _peak_memory(processes[0].pid)
    assert seen["not_checked"] == {"the body decodes to over 1024 KiB": 1}, seen
    assert peak < 200 * 1024 * 1024, f"the proxy's memory peaked at {peak // 2**20} MiB"


def _peak_memory(pid: int) -> int:
    """The process's peak resident memory in bytes (Linux: VmHWM)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def test_an_answer_that_is_not_what_its_encoding_says_is_a_finding() -> None:
    with serve(hostile.answering_bytes(b"this is not gzip", b"gzip")) as origin, proxy(origin) as (url, _):
        listed(url)
        seen = report(url)
    complete = [f for f in seen["findings"] if f["id"] == "proxy/list_batch_calls/complete_answer"]
    assert complete and "not valid gzip" in complete[0]["evidence"][0]["message"], seen


def test_an_encoding_the_proxy_cannot_decode_is_counted_not_guessed() -> None:
    """No Brotli library is installed: a br answer passes as sent and is said not to be checked."""
    with serve(hostile.answering_bytes(b"\x1b\x00\x00", b"br")) as origin, proxy(origin) as (url, _):
        listed(url)
        seen = report(url)
    assert seen["not_checked"] == {"the body is encoded with 'br', not decoded here": 1}, seen
    assert seen["findings"] == []


def test_a_target_s_own_codings_make_one_reason_not_one_per_answer() -> None:
    """A target naming a new 4,000-character Content-Encoding on every answer: the count of answers
    not checked stays one line (it grew by the target's text per answer)."""
    codings = (f"x-{n}-{'A' * 4000}".encode() for n in range(1000))
    with serve(hostile.answering_bytes(b"\x00", lambda: next(codings))) as origin, proxy(origin) as (url, _):
        for _ in range(3):
            listed(url)
        seen = report(url)
    assert seen["not_checked"] == {"the body is encoded with a coding no registry names, not decoded here": 3}


def test_a_header_http_forbids_is_not_relayed_and_the_client_gets_its_answer() -> None:
    """A target answering a header with an escape character in its value: uvicorn would refuse to
    send it and drop the client's connection (a traceback on the proxy's console)."""
    answer = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Note: a\x1b[31mb\r\nX-Fine: yes\r\n'
    answer += b'Content-Length: 2\r\nConnection: close\r\n\r\n{}'
    target = socket.create_server(("127.0.0.1", 0))

    def serve_raw() -> None:
        with target:
            conn, _ = target.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(answer)

    thread = threading.Thread(target=serve_raw, daemon=True)
    thread.start()
    with proxy(f"http://127.0.0.1:{target.getsockname()[1]}") as (url, _):
        response = httpx.get(f"{url}/_mock/health", timeout=10)
    thread.join(timeout=5)
    assert response.status_code == 200 and response.headers["x-fine"] == "yes"
    assert "x-note" not in response.headers
