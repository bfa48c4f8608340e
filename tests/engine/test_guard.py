"""What a web page can make a developer's browser send to a sandbox on loopback, driven through a real
`serve`: a request naming another Host (DNS rebinding), and a write to the control API that a page
of another site can send without a preflight (a foreign `Origin`, a body that is not JSON)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from support import API, AUTH, CAMPAIGN, live_server

START_AT = "2026-03-02T08:00:00Z"
README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with live_server("--clock", "manual", "--start-at", START_AT, "--quiet",
                     "--allowed-host", "sandbox.test") as url:
        yield url


def batches(base: str) -> int:
    answer = httpx.get(f"{base}{API}/batch-calls", headers=AUTH, timeout=5)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["pagination"]["total"])


def campaign(base: str) -> None:
    answer = httpx.post(f"{base}{API}/batch-calls", json=CAMPAIGN, headers=AUTH, timeout=5)
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8080", "127.0.0.1.evil.example",
                                  "localhost.evil.example", "[::2]", "10.0.0.1", "", "a b"])
def test_a_host_that_does_not_name_loopback_is_refused_before_anything_runs(base: str, host: str) -> None:
    campaign(base)
    before = batches(base)
    for method, path, headers in (("POST", "/_mock/reset", {}), ("GET", f"{API}/batch-calls", AUTH),
                                  ("GET", "/_mock/console", {}), ("GET", "/docs", {})):
        answer = httpx.request(method, f"{base}{path}", headers={**headers, "Host": host}, timeout=5)
        assert answer.status_code == 421, (host, path, answer.text)
        assert answer.headers["content-type"] == "application/json"
        error = answer.json()["error"]
        assert error["code"] == "misdirected_request" and "--allowed-host" in error["message"]
    assert batches(base) == before  # the rebound page reset nothing


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:1", "localhost", "LocalHost:8080", "localhost.",
                                  "[::1]", "[::1]:65535", "127.9.9.9", "sandbox.test", "SANDBOX.test:443"])
def test_loopback_names_and_allowed_hosts_are_answered(base: str, host: str) -> None:
    answer = httpx.get(f"{base}{API}/agents", headers={**AUTH, "Host": host}, timeout=5)
    assert answer.status_code == 200, (host, answer.text)


def test_a_cross_site_write_to_the_control_api_is_refused(base: str) -> None:
    campaign(base)
    before = batches(base)
    # what a page on another site sends without a preflight: a form, or fetch with a simple body
    for headers, body in (
        ({"Origin": "https://evil.example", "Content-Type": "text/plain"}, b"{}"),
        ({"Origin": "https://evil.example"}, b""),
        ({"Origin": "null"}, b""),  # a sandboxed frame or a file:// page
        ({"Origin": base.replace("127.0.0.1", "localhost")}, b""),  # another origin, same machine
        ({"Origin": base.rsplit(":", 1)[0] + ":1"}, b""),  # another port
    ):
        answer = httpx.post(f"{base}/_mock/reset", headers=headers, content=body, timeout=5)
        assert answer.status_code == 403, (headers, answer.text)
        assert answer.json()["error"]["code"] == "cross_origin_request"
    for headers, body in (
        ({"Content-Type": "text/plain"}, b"{}"),
        ({"Content-Type": "application/x-www-form-urlencoded"}, b""),  # a form with no fields
        ({"Content-Type": "multipart/form-data; boundary=x"}, b"--x--"),
        ({}, b'{"seconds": 60}'),  # fetch() with a Blob body sends no Content-Type at all
    ):
        for path in ("/_mock/reset", "/_mock/clock/advance"):
            answer = httpx.post(f"{base}{path}", headers=headers, content=body, timeout=5)
            assert answer.status_code == 415, (path, headers, answer.text)
            assert answer.json()["error"]["code"] == "unsupported_media_type"
    assert batches(base) == before
    assert httpx.get(f"{base}/_mock/clock", timeout=5).json()["now"] == "2026-03-02T08:00:00.000000Z"


def test_what_a_browser_cannot_forge_still_works(base: str) -> None:
    # the sandbox's own pages (same origin), curl -X POST without a body, curl --json
    own = httpx.post(f"{base}/_mock/clock/advance", json={"seconds": 60}, headers={"Origin": base}, timeout=5)
    assert own.status_code == 200, own.text
    named = httpx.post(f"{base}/_mock/clock/advance", json={"seconds": 60},
                       headers={"Origin": "http://sandbox.test", "Host": "sandbox.test"}, timeout=5)
    assert named.status_code == 200, named.text
    charset = httpx.post(f"{base}/_mock/clock/advance", content=b'{"seconds": 60}',
                         headers={"Content-Type": "application/json; charset=utf-8"}, timeout=5)
    assert charset.status_code == 200, charset.text
    assert httpx.post(f"{base}/_mock/faults/scheduling", timeout=5).status_code == 200
    assert httpx.delete(f"{base}/_mock/faults", timeout=5).status_code == 204
    # reads are not writes: a page cannot read the answer of a cross-site GET anyway
    foreign = {"Origin": "https://evil.example"}
    assert httpx.get(f"{base}/_mock/clock", headers=foreign, timeout=5).status_code == 200
    # the public API needs its own credentials header, which no cross-site page sends unasked
    assert httpx.get(f"{base}{API}/agents", headers={**AUTH, "Origin": "https://evil.example"},
                     timeout=5).status_code == 200


@pytest.mark.skipif(shutil.which("curl") is None, reason="no curl on this machine")
def test_curl_json_is_a_write_and_a_plain_curl_d_is_a_form(base: str) -> None:
    def curl(*args: str) -> str:
        done = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", *args],
                              capture_output=True, text=True, timeout=10, check=False)
        return done.stdout
    assert curl(f"{base}/_mock/clock/advance", "--json", '{"seconds":60}') == "200"
    typed = ("-H", "Content-Type: application/json", "-d", '{"seconds":60}')
    assert curl(f"{base}/_mock/clock/advance", *typed) == "200"
    assert curl("-X", "POST", f"{base}/_mock/faults/scheduling") == "200"
    assert curl(f"{base}/_mock/clock/advance", "-d", '{"seconds":60}') == "415"  # what a form sends
    for line in README.read_text(encoding="utf-8").splitlines():  # the README's examples are the first
        if line.lstrip().startswith("curl") and "/_mock" in line:
            assert " -d " not in line or "application/json" in line, line


def test_a_page_of_another_site_fills_no_journal_for_want_of_credentials(base: str) -> None:
    """A form POST to the public API from another site carries no credentials (a page cannot add
    them unasked): a 401, kept in no journal. The same request from a client that is not a page
    stays in the default workspace's journal, where its developer looks for it."""
    httpx.delete(f"{base}/_mock/requests", timeout=5)
    for origin in ("https://evil.example", None):
        headers = {"Content-Type": "text/plain", **({"Origin": origin} if origin else {})}
        answer = httpx.post(f"{base}{API}/batch-calls", headers=headers, content=b"x", timeout=5)
        assert answer.status_code == 401
    journaled = httpx.get(f"{base}/_mock/requests", params={"path": f"{API}/batch-calls"}, timeout=5).json()
    assert [entry["request_headers"].get("origin") for entry in journaled["data"]] == [None]
