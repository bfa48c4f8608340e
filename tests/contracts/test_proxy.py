"""`batchcalls-contract proxy`: forwards traffic unchanged and reports what the exchanges break.

The proxy runs as a user would run it (a subprocess, `--port 0`), in front of the sandbox (a
subprocess too, `--port 0`) or of small in-test targets.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from support import live_server

from contracts.inprocess import serve

KEY = "sk_test_sandbox"
AUTH = {"Authorization": f"Bearer {KEY}"}
API = "/api/public/v1"


@contextmanager
def proxy(
    target: str, *args: str, processes: list[subprocess.Popen[str]] | None = None
) -> Iterator[tuple[str, list[str]]]:
    """The proxy in front of `target`; yields its URL and, once stopped (SIGTERM), its output lines
    (`processes`, when given, gets the proxy's process)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "contracts", "proxy", "--target", target, "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    if processes is not None:
        processes.append(process)
    first = process.stdout.readline()
    assert first.startswith("contract proxy listening on http://127.0.0.1:"), first
    url = first.split()[4]
    output: list[str] = [first]
    try:
        yield url, output
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            rest, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:  # stuck: it must not outlive the test
            process.kill()
            rest, _ = process.communicate(timeout=10)
        output += rest.splitlines()
        output.append(f"exit {process.returncode}")


def report(url: str) -> dict[str, Any]:
    answer = httpx.get(url + "/_contract/report", timeout=10)
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def campaign(base: str) -> None:
    """A client's usual traffic: list, create, read, schedule, pause, resume, delete, a 404."""
    with httpx.Client(base_url=base + API, headers=AUTH, timeout=10) as client:
        assert client.get("/batch-calls", params={"limit": 5}).status_code == 200
        created = client.post(
            "/batch-calls",
            json={
                "name": "Proxy campaign",
                "agent_id": "agt_sandbox_ready",
                "contact_source": "folder",
                "contact_folder_id": "folder_sandbox_demo",
            },
        )
        assert created.status_code == 201, created.text
        batch = created.json()["data"]["id"]
        assert client.get(f"/batch-calls/{batch}").status_code == 200
        later = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert client.post(f"/batch-calls/{batch}/schedule", json={"scheduled_at": later}).status_code == 200
        assert client.post(f"/batch-calls/{batch}/pause").status_code == 200
        assert client.post(f"/batch-calls/{batch}/resume").status_code == 200
        assert client.get("/batch-calls/bc_nope").status_code == 404
        assert client.delete(f"/batch-calls/{batch}").status_code == 204
        assert client.get("/agents").status_code == 200


def test_in_front_of_the_sandbox_it_finds_nothing(tmp_path: Path) -> None:
    md, junit, html = tmp_path / "proxy.md", tmp_path / "proxy.xml", tmp_path / "proxy.html"
    with live_server() as base:
        args = ("--report", str(md), "--junit-xml", str(junit), "--html", str(html))
        with proxy(base, *args) as (url, output):
            campaign(url)
            seen = report(url)
    assert seen["conformant"] is True, seen["findings"]
    assert seen["exchanges"] == 9 and seen["counts"]["passed"] >= 20
    assert output[-1] == "exit 0", "\n".join(output)
    suites = ET.parse(junit).getroot()
    assert all(s.get("failures") == "0" for s in suites)
    assert "proxy/lifecycle.transitions" in md.read_text(encoding="utf-8")
    assert "proxy/read_after_write" in md.read_text(encoding="utf-8")  # checked, and passed
    assert html.read_text(encoding="utf-8").startswith("<!doctype html>")


@pytest.mark.parametrize(
    ("defect", "check"),
    [
        ("request_id_mismatch", "truedy_request_id"),
        ("wrong_error_code", "truedy_error_envelope"),
        ("broken_counters", "truedy_counter_invariants"),
        ("missing_required_field", "response_schema_conformance"),
    ],
)
def test_in_front_of_a_defect_it_reports_it(defect: str, check: str, tmp_path: Path) -> None:
    md = tmp_path / "proxy.md"
    with live_server("--defect", defect) as base:
        with proxy(base, "--report", str(md)) as (url, output):
            campaign(url)
            seen = report(url)
    failed = {finding["id"].rsplit("/", 1)[1] for finding in seen["findings"]}
    assert check in failed, seen["findings"]
    assert all(e["curl"][0].startswith("curl -i -X") for f in seen["findings"] for e in f["evidence"])
    assert output[-1] == "exit 1" and "NOT CONFORMANT" in "\n".join(output)
    assert check in md.read_text(encoding="utf-8")


def test_schema_findings_show_what_was_checked_and_the_offending_part() -> None:
    with live_server("--defect", "missing_required_field") as base:
        with proxy(base) as (url, _):
            campaign(url)
            seen = report(url)
    schema = [f for f in seen["findings"] if f["id"].endswith("/response_schema_conformance")]
    message = schema[0]["evidence"][0]["message"]
    assert "'created_at' is a required property" in message
    assert "checked: the schema at #/components/schemas/" in message and "(required)" in message
    assert "offending part: {" in message


# a target whose batch goes back from completed to active: the lifecycle forbids it
STATUSES = iter(["active", "completed", "active"])


async def batch(request: Request) -> Response:
    status = next(STATUSES, "active")
    return JSONResponse({"data": {"id": "bc_1", "status": status}, "meta": {}})


def test_a_batch_seen_completed_then_active_is_a_finding() -> None:
    app = Starlette(routes=[Route(API + "/batch-calls/{batch_id}", batch)])
    with serve(app) as origin, proxy(origin) as (url, _):
        for _ in range(3):
            httpx.get(url + API + "/batch-calls/bc_1", headers=AUTH, timeout=10)
        seen = report(url)
    lifecycle = [f for f in seen["findings"] if f["id"] == "proxy/lifecycle.transitions"]
    assert lifecycle, seen["findings"]
    assert "batch 'bc_1' was 'completed'" in lifecycle[0]["evidence"][0]["message"]
    assert "and then 'active'" in lifecycle[0]["evidence"][0]["message"]


CHUNKS = [bytes([n]) * 65_536 for n in range(40)]  # 2.5 MiB in 40 chunks


async def echo(request: Request) -> Response:
    body = await request.body()
    return Response(body, media_type="application/octet-stream", headers={"x-sha256": _sha(body)})


async def stream(request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        for chunk in CHUNKS:
            yield chunk

    return StreamingResponse(chunks(), media_type="application/octet-stream")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_large_and_streamed_bodies_pass_intact() -> None:
    app = Starlette(routes=[Route("/echo", echo, methods=["POST"]), Route("/stream", stream)])
    large = os.urandom(8 * 1024 * 1024)
    with serve(app) as origin, proxy(origin) as (url, _):
        with httpx.Client(timeout=30) as client:
            echoed = client.post(url + "/echo", content=large, headers={"x-anything": "kept"})
            assert echoed.status_code == 200
            assert echoed.headers["x-sha256"] == _sha(large)  # the target got every byte
            assert echoed.content == large  # and the client got every byte back
            with client.stream("GET", url + "/stream") as streamed:
                received = b"".join(streamed.iter_raw())
            assert streamed.headers.get("transfer-encoding") == "chunked"
            assert received == b"".join(CHUNKS)
        assert report(url)["unmatched"] == 2  # paths outside the spec pass, unchecked
