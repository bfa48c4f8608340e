"""Which Host a sandbox answers and which Origin is its own, for every way `serve` may listen (the
HTTP tests of tests/engine/test_guard.py cover loopback; a test never listens beyond it)."""

from __future__ import annotations

import pytest

from mock_server.engine.hosts import REMEMBERED_HOSTS, HostPolicy, is_host_name, parse_host

LOOPBACK = HostPolicy("127.0.0.1", ("sandbox.test",))
HOSTED = HostPolicy("0.0.0.0", ("sandbox.example.com",))
EMBEDDED = HostPolicy(None)


@pytest.mark.parametrize(("value", "parsed"), [
    ("127.0.0.1:8080", ("127.0.0.1", 8080)), ("[::1]", ("::1", None)), ("[::1]:1", ("::1", 1)),
    ("Sandbox.Example.COM.", ("sandbox.example.com", None)), ("x:0", ("x", 0)),
    ("::1", None), ("[::1", None), ("[::1]x", None), ("[127.0.0.1]", None), ("x:65536", None),
    ("x:+1", None), ("x:", None), ("", None), ("a b", None), ("a..b", None), ("-a.b", None),
    ("é.example", None), ("x.example/path", None), ("user@x.example", None),
])
def test_a_host_header_is_read_as_http_reads_it(value: str, parsed: tuple[str, int | None] | None) -> None:
    assert parse_host(value) == parsed


@pytest.mark.parametrize(("policy", "host", "answered"), [
    (LOOPBACK, "localhost:8080", True), (LOOPBACK, "127.1.2.3", True), (LOOPBACK, "[::ffff:127.0.0.1]", True),
    (LOOPBACK, "sandbox.test:9", True), (LOOPBACK, "10.0.0.5:8080", False), (LOOPBACK, "evil.example", False),
    (LOOPBACK, "sandbox.test.evil.example", False), (LOOPBACK, "localhost.evil.example", False),
    (HOSTED, "10.0.0.5:8080", True),  # an address: no page can rebind an address literal
    (HOSTED, "[2001:db8::1]:8080", True), (HOSTED, "sandbox.example.com", True), (HOSTED, "localhost", True),
    (HOSTED, "evil.example", False), (HOSTED, "example.com", False), (HOSTED, "", False),
    (EMBEDDED, "testserver", True), (EMBEDDED, "", True),
])
def test_the_hosts_a_sandbox_answers(policy: HostPolicy, host: str, answered: bool) -> None:
    assert policy.answers(host) is answered


def test_remembered_verdicts_are_the_verdicts_and_stay_bounded() -> None:
    """Each Host value is judged once and its verdict remembered; a client that sends a new Host on
    every request (valid, invalid, or as long as the header limits allow) grows nothing past the bound."""
    policy = HostPolicy("127.0.0.1", ("sandbox.test",))
    hosts = [f"127.0.0.{i % 250}:{i}" if i % 3 else f"evil{i}.example" for i in range(3 * REMEMBERED_HOSTS)]
    hosts += ["localhost", "x" * 5000, "[::1]:80", "a b"]
    for _ in range(2):  # judged, then remembered
        for host in hosts:
            assert policy.answers(host) is HostPolicy("127.0.0.1", ("sandbox.test",)).answers(host), host
            assert len(policy._verdicts) <= REMEMBERED_HOSTS
    assert "x" * 5000 not in policy._verdicts


@pytest.mark.parametrize(("origin", "host", "own"), [
    ("http://127.0.0.1:8080", "127.0.0.1:8080", True),
    ("http://localhost:8080", "LOCALHOST:8080", True),
    ("https://sandbox.example.com", "sandbox.example.com", True),  # default ports, both sides
    ("https://sandbox.example.com", "sandbox.example.com:443", True),
    ("http://sandbox.example.com", "10.0.0.5:8080", True),  # an allowed name, behind a rewriting proxy
    ("http://[::1]:8080", "[::1]:8080", True),
    ("http://127.0.0.1:8081", "127.0.0.1:8080", False),  # another port is another origin
    ("http://localhost:8080", "127.0.0.1:8080", False),
    ("https://127.0.0.1:8080", "127.0.0.1:8080", True),  # the scheme is not known behind a proxy
    ("http://sandbox.example.com.evil.example", "sandbox.example.com", False),
    ("null", "127.0.0.1:8080", False), ("file://", "127.0.0.1:8080", False),
    ("http://127.0.0.1:8080/path", "127.0.0.1:8080", False),
    ("http://127.0.0.1:99999", "127.0.0.1:99999", False),
    ("chrome-extension://abc", "abc", False),
])
def test_the_origin_of_a_write_must_be_the_sandbox_own(origin: str, host: str, own: bool) -> None:
    assert HOSTED.is_own_origin(origin, host) is own


@pytest.mark.parametrize(("name", "valid"), [
    ("sandbox.example.com", True), ("10.0.0.5", True), ("::1", True), ("x", True), ("a" * 64, False),
    ("http://x", False), ("x:80", False), ("", False), ("*.example.com", False),
])
def test_an_allowed_host_is_a_name_or_an_address(name: str, valid: bool) -> None:
    assert is_host_name(name) is valid
