"""The proxy forwards what the client sent and what the target answered, nothing more, and answers any
request target without a traceback.

The target is hostile_target.echo: it answers, as JSON, the request line and every header line it
received; the client side is a raw socket, so that what is sent and read is exactly what is compared.
"""

from __future__ import annotations

import json
import socket
from typing import Any

import hostile_target as hostile
from test_proxy import proxy

from contracts.inprocess import serve

# RFC 9110 §7.6.1: the fields of one connection (and Host, which names the target)
HOP_BY_HOP = {
    b"connection",
    b"keep-alive",
    b"proxy-connection",
    b"proxy-authenticate",
    b"proxy-authorization",
    b"te",
    b"trailer",
    b"transfer-encoding",
    b"upgrade",
    b"host",
}

# what a client sends: repeated headers, a header Connection names, every hop-by-hop kind
CLIENT_HEADERS = [
    (b"Accept", b"application/json"),
    (b"X-Repeated", b"one"),
    (b"X-Repeated", b"two"),
    (b"X-Per-Hop", b"dropped: Connection names it"),
    (b"Connection", b"keep-alive, X-Per-Hop"),
    (b"Keep-Alive", b"timeout=5"),
    (b"TE", b"trailers"),
    (b"Proxy-Authorization", b"Basic cHJveHk6aG9w"),
    (b"Upgrade", b"websocket"),
    (b"X-Empty", b""),
    (b"Authorization", b"Bearer sk_test_sandbox"),
]


def exchange(port: int, request: bytes) -> tuple[bytes, list[tuple[bytes, bytes]], bytes]:
    """Send `request` on a fresh connection (closed by the server after its answer); the status line,
    the header lines (name, value) as received, and the body."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65_536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status, *lines = head.split(b"\r\n")
    headers = [(name.lower(), value.strip()) for name, _, value in (line.partition(b":") for line in lines)]
    return status, headers, body


Lines = list[tuple[bytes, bytes]]


def request_bytes(method: bytes, target: bytes, headers: Lines, body: bytes = b"") -> bytes:
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: proxy.test", *(k + b": " + v for k, v in headers)]
    return b"\r\n".join([*lines, b"Connection: close", b"", b""]) + body


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def end_to_end(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    return [(k.lower(), v) for k, v in headers if k.lower() not in HOP_BY_HOP and k.lower() != b"x-per-hop"]


def echoed(body: bytes) -> dict[str, Any]:
    received: dict[str, Any] = json.loads(body)
    received["headers"] = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in received["headers"]]
    return received


def test_the_target_gets_what_the_client_sent_and_nothing_more() -> None:
    with serve(hostile.echo) as origin, proxy(origin) as (url, output):
        status, _, body = exchange(port_of(url), request_bytes(b"GET", b"/some/path?x=1&x=2", CLIENT_HEADERS))
        upload = b'{"name": "an upload"}'
        with_length = [*CLIENT_HEADERS, (b"Content-Type", b"application/json")]
        with_length.append((b"Content-Length", str(len(upload)).encode()))
        _, _, posted = exchange(port_of(url), request_bytes(b"POST", b"/upload", with_length, upload))
        chunked = [(b"Transfer-Encoding", b"chunked")]
        in_chunks = request_bytes(b"PUT", b"/chunks", chunked, b"3\r\nabc\r\n0\r\n\r\n")
        _, _, streamed = exchange(port_of(url), in_chunks)
    assert status == b"HTTP/1.1 200 OK"
    received = echoed(body)
    assert received["method"] == "GET" and received["target"] == "/some/path?x=1&x=2"
    host, *forwarded = received["headers"]
    assert host[0] == b"host"  # names the target, not the proxy
    # every end-to-end header, in order, repeated ones kept; no Accept-Encoding, User-Agent,
    # Transfer-Encoding or Connection of the proxy's own
    assert forwarded == end_to_end(CLIENT_HEADERS)
    post = echoed(posted)
    assert post["headers"][1:] == end_to_end(with_length) and post["body_length"] == len(upload)
    put = echoed(streamed)
    assert put["headers"][1:] == [(b"transfer-encoding", b"chunked")] and put["body_length"] == 3
    assert "Traceback" not in "\n".join(output)


def test_the_client_gets_what_the_target_answered_and_nothing_more() -> None:
    # the target's server adds no Date or Server of its own: ECHO_HEADERS are all it sends
    with serve(hostile.echo, date_header=False, server_header=False) as origin, proxy(origin) as (url, _):
        direct = exchange(port_of(origin), request_bytes(b"GET", b"/", []))
        status, headers, body = exchange(port_of(url), request_bytes(b"GET", b"/", []))
    assert status == direct[0] == b"HTTP/1.1 200 OK"
    answered = [*hostile.ECHO_HEADERS, (b"content-length", str(len(body)).encode())]
    # one Date and one Server (the target's), both Set-Cookie lines, nothing added or dropped (but
    # the proxy's own Connection: close, a hop-by-hop header of the connection to the client)
    assert end_to_end(headers) == [(k.lower(), v) for k, v in answered]
    # and what the target sends, asked directly (the bodies differ: the echo says who asked)
    assert end_to_end(direct[1])[:-1] == end_to_end(headers)[:-1]


def test_odd_request_targets_are_answered_without_a_traceback() -> None:
    with serve(hostile.echo) as origin, proxy(origin) as (url, output):
        port = port_of(url)
        options = exchange(port, b"OPTIONS * HTTP/1.1\r\nHost: proxy.test\r\nConnection: close\r\n\r\n")
        absolute = exchange(port, request_bytes(b"GET", b"http://elsewhere.example/x?y=1", []))
        authority = exchange(port, request_bytes(b"CONNECT", b"elsewhere.example:443", []))
        not_ascii = exchange(port, request_bytes(b"GET", "/café".encode(), []))
        dots = exchange(port, request_bytes(b"GET", b"/a/../../b%0A%00", []))
    assert options[0] == b"HTTP/1.1 200 OK" and echoed(options[2])["target"] == "*"  # forwarded as it came
    # absolute-form: the path goes to the target; nothing is ever sent to the host it names
    assert absolute[0] == b"HTTP/1.1 200 OK" and echoed(absolute[2])["target"] == "/x?y=1"
    assert authority[0].startswith(b"HTTP/1.1 400") and not_ascii[0].startswith(b"HTTP/1.1 400")
    assert echoed(dots[2])["target"] == "/a/../../b%0A%00"  # the target's to resolve, as sent
    assert "Traceback" not in "\n".join(output), "\n".join(output)


def test_a_target_not_a_path_is_a_400_in_json() -> None:
    """Targets the HTTP parser leaves to the application (another parser may hand over more)."""
    from contracts.proxy.wire import target_problem  # noqa: PLC0415 - the module is new with the rule

    assert target_problem("GET", b"*") is not None
    assert target_problem("OPTIONS", b"*") is None
    assert target_problem("GET", b"http://elsewhere.example/") is not None
    assert target_problem("GET", "/é".encode()) is not None
    assert target_problem("GET", b"/a%20b") is None
