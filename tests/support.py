"""Helpers of the HTTP tests: a client that checks every answer against the spec, and builders."""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import cluster_mode
import httpx2 as httpx
import orjson
from response_checker import ResponseChecker
from starlette.testclient import TestClient

from mock_server.app import create_app
from mock_server.settings import Settings
from mock_server.testing.asgi_exchange import exchange

API = "/api/public/v1"
KEY = "sk_test_sandbox"
AUTH = {"Authorization": f"Bearer {KEY}"}
# Monday 2 March 2026, 08:00 UTC: a working day before a 09:00 window opens in most zones. Every
# sandbox a test starts begins its simulated clock here unless the test says otherwise, real clocks
# included: what a test waits for must not depend on the day of the week it runs on.
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC).timestamp()
START_AT = "2026-03-02T08:00:00Z"

# Seed 004 (Zudu's create page): the request of its curl example verbatim, and its answer's fields
SEED_004: dict[str, Any] = {
    "from_number": "+14157774444",
    "tasks": [
        {
            "to_number": "+12137774445",
            "dynamic_variables": {"first_name": "John", "last_name": "Doe", "company": "Acme Corp"},
            "max_retries": 3,
        }
    ],
    "name": "Q1 Sales Campaign",
    "trigger_timestamp": 1735718400000,
    "agent_id": "agent_7ff47846-c8a0-4304-ae13-88cfc31c1a03",
    "timezone": "America/New_York",
    "status": "draft",
    "send_now": False,
}
SEED_004_FIELDS = [  # the answer's data, in seed 004's order
    "batch_call_id", "name", "from_number", "scheduled_timestamp", "total_task_count", "total", "sent",
    "picked_up", "completed", "agent_id", "organization_id", "status", "timezone", "last_sent_timestamp",
    "tasks_url", "created_timestamp", "access_info",
]


ZUDU_KEY, ZUDU_SECRET = "zk_test_sandbox", "zs_test_sandbox"
ZUDU_AUTH = {"X-API-KEY": ZUDU_KEY, "X-API-SECRET": ZUDU_SECRET}
# the README's keys for the default workspace: under an admin token they must be given to be used
WELL_KNOWN = {"sandbox_key": KEY, "zudu_key": ZUDU_KEY, "zudu_secret": ZUDU_SECRET}


class CheckedClient(TestClient):
    """A TestClient that fails the test when any answer breaks the spec of the API it called:
    openapi.json for Truedy's paths, openapi.zudu.json for Zudu's (the checker whose spec has an
    operation at the method and path; the first one otherwise, which checks X-Request-Id only)."""

    checkers: list[ResponseChecker]

    def request(self, method: str, url: httpx._types.URLTypes, *args: Any, **kwargs: Any) -> httpx.Response:  # type: ignore[override]
        response = super().request(method, url, *args, **kwargs)
        check_answer(self.checkers, method, str(url), response)
        return response


def check_answer(checkers: list[ResponseChecker], method: str, url: str, response: Any) -> None:
    """Fail the test when `response` breaks the spec of the API it called (the checker whose spec has
    an operation at the method and path; the first one otherwise, which checks X-Request-Id only)."""
    path = httpx.URL(url).raw_path.decode("ascii").split("?", 1)[0]  # as the router reads it
    body: Any = None
    if response.content:
        body = response.json() if "json" in response.headers.get("content-type", "") else response.text
    checker = next((c for c in checkers if c.operation(method, path) is not None), checkers[0])
    problems = checker.problems(method, path, response.status_code, response.headers, body)
    assert not problems, f"{method} {path} -> {response.status_code}: {problems}\n{response.text}"


def make_client(**overrides: Any) -> CheckedClient:
    """A client of a fresh sandbox (seed 7, manual clock from START): the app in process, or under
    `pytest --cluster` two `serve --store` instances on PostgreSQL behind a round-robin forwarder."""
    # the tests' webhook receivers listen on loopback, as a sandbox serving on loopback allows
    given = {"allow_private_webhooks": True, **overrides}
    settings = Settings(clock="manual", start_at=START, seed=7, **given)
    if os.environ.get(cluster_mode.ENV):
        flags = cluster_mode.flags_for(START, 7, overrides)
        checkers = _checkers(settings.dialects)
        pool = cluster_mode.pool()
        return pool.client(flags, settings.admin_token, checkers)  # type: ignore[return-value]
    app = create_app(settings)
    client = CheckedClient(app, raise_server_exceptions=True)
    client.checkers = [ResponseChecker(spec) for spec in app.state.specs.values()]
    return client


@functools.cache
def _checkers(dialects: tuple[str, ...]) -> list[ResponseChecker]:
    """The checkers of an app serving `dialects` (built once: the cluster's apps are elsewhere)."""
    app = create_app(Settings(dialects=dialects))  # type: ignore[arg-type]
    return [ResponseChecker(spec) for spec in app.state.specs.values()]


# the README walk-through's campaign: the demo folder, 09:00–17:00 New York time, two lines at once
CAMPAIGN = {
    "name": "Renewals",
    "agent_id": "agt_sandbox_ready",
    "contact_source": "folder",
    "contact_folder_id": "folder_sandbox_demo",
    "timezone": "America/New_York",
    "start_time": "09:00",
    "end_time": "17:00",
    "max_concurrent_calls": 2,
    "retry_failed": True,
    "max_retry_attempts": 1,
}


def new_batch(client: TestClient, headers: dict[str, str] | None = None, **fields: Any) -> dict[str, Any]:
    """A Truedy batch call from the demo folder, in the default workspace unless `headers` say."""
    body = {
        "name": "Spring campaign",
        "agent_id": "agt_sandbox_ready",
        "contact_source": "folder",
        "contact_folder_id": "folder_sandbox_demo",
        **fields,
    }
    response = client.post(f"{API}/batch-calls", json=body, headers=headers or AUTH)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def new_zudu_batch(client: TestClient, **fields: Any) -> dict[str, Any]:
    """A Zudu batch call (a draft with two tasks unless `fields` say otherwise)."""
    body = {
        "from_number": "+14157774444",
        "tasks": [{"to_number": "+12137774445"}, {"to_number": "+12137774446"}],
        "name": "Zudu campaign",
        **fields,
    }
    response = client.post("/batch-call", json=body, headers=ZUDU_AUTH)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def pinned(flags: tuple[str, ...]) -> tuple[str, ...]:
    """`serve` flags with the simulated start pinned at START, unless they pin one themselves."""
    return flags if "--start-at" in flags else ("--start-at", START_AT, *flags)


def start_server(*flags: str, ctrl_c: bool = False) -> tuple[subprocess.Popen[str], str]:
    """`batchcalls-mock serve` in a subprocess on a free loopback port, up and answering; its clock
    starts at START unless `flags` say otherwise. `ctrl_c`: SIGINT as a terminal gives it (a test run
    in the background inherits it ignored, and Python then never raises KeyboardInterrupt)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "serve", "--port", "0", *pinned(flags)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)) if ctrl_c else None,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    assert first.startswith("Batch Calls sandbox listening on http://127.0.0.1:"), first
    base = first.rsplit(" ", 1)[1].strip()
    deadline = time.monotonic() + 10
    while True:
        try:
            httpx.get(f"{base}/_mock/health", timeout=1)
            return process, base
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the server did not come up"
            time.sleep(0.02)


@contextlib.contextmanager
def live_server(*flags: str) -> Iterator[str]:
    """A started server for the length of the block; yields its base URL."""
    process, base = start_server(*flags)
    try:
        yield base
    finally:
        process.terminate()
        process.communicate(timeout=10)  # reaps the process and closes its pipes


async def asgi(app: Any, method: str, path: str, body: bytes = b"", key: str | None = None,
               query: bytes = b"") -> tuple[int, Any]:
    """One request straight through ASGI, as uvicorn calls the app: its status and JSON answer (None
    without one). For what the test client would blur (mock_server/testing/asgi_exchange.py)."""
    headers = [(b"host", b"127.0.0.1"), (b"content-type", b"application/json")]
    if key is not None:
        headers.append((b"authorization", f"Bearer {key}".encode()))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": query, "root_path": "", "headers": headers,
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 2),
    }
    sent = await exchange(app, scope, body)
    answer = b"".join(message.get("body", b"") for message in sent[1:])
    return sent[0]["status"], orjson.loads(answer) if answer.startswith(b"{") else None
