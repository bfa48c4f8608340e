"""The example clients against a live sandbox: careful is ready, careless fails exactly the checks
it should, partial is incomplete; and `batchcalls-mock readiness` reads the same report."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support import live_server

from mock_server.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "readiness"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[str]:
    with live_server("--clock", "manual") as base:
        yield base


@pytest.fixture
def api_key(sandbox: str) -> str:
    """A fresh workspace per client: one session's traffic never lands in another's report."""
    key: str = httpx.post(f"{sandbox}/_mock/workspaces").json()["api_key"]
    return key


@pytest.fixture
def examples(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(EXAMPLES))


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {check["id"]: check["status"] for check in report["checks"]}


def test_careful_client_runs_and_is_ready(sandbox: str, api_key: str, tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(EXAMPLES / "careful_client.py"), "--base-url", sandbox, "--api-key", api_key],
        capture_output=True, text=True, timeout=60,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "# Client readiness: ready" in run.stdout
    report = httpx.get(f"{sandbox}/_mock/readiness", headers={"Authorization": f"Bearer {api_key}"}).json()
    assert len(report["checks"]) == 10 and set(statuses(report).values()) == {"passed"}
    page = tmp_path / "report.html"
    assert main(["readiness", "--url", sandbox, "--api-key", api_key, "--html", str(page)]) == 0
    assert 'id="verdict">ready<' in page.read_text()


def test_careless_client_fails_exactly_what_it_does_wrong(sandbox: str, api_key: str, examples: None) -> None:
    import careless_client

    report = careless_client.run(sandbox, api_key)
    assert report["verdict"] == "not_ready"
    assert statuses(report) == {
        "idempotency_key_on_create": "failed",
        "retry_reuses_idempotency_key": "failed",
        "honors_retry_after": "failed",
        "no_hammering_on_errors": "passed",
        "sends_valid_requests": "passed",
        "webhook_rejects_bad_signature": "failed",
        "webhook_rejects_stale_timestamp": "failed",
        "webhook_acknowledges_fast": "passed",
        "polling_is_reasonable": "warning",
        "reads_all_pages": "failed",
    }


def test_partial_client_is_incomplete(sandbox: str, api_key: str, examples: None,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    import partial_client

    report = partial_client.run(sandbox, api_key)
    assert report["verdict"] == "incomplete"
    assert statuses(report) == {
        "idempotency_key_on_create": "passed",
        "retry_reuses_idempotency_key": "passed",
        "honors_retry_after": "passed",
        "no_hammering_on_errors": "passed",
        "sends_valid_requests": "passed",
        "webhook_rejects_bad_signature": "not_observed",
        "webhook_rejects_stale_timestamp": "not_observed",
        "webhook_acknowledges_fast": "not_observed",
        "polling_is_reasonable": "not_observed",
        "reads_all_pages": "not_observed",
    }
    capsys.readouterr()
    assert main(["readiness", "--url", sandbox, "--api-key", api_key]) == 1
    assert capsys.readouterr().out.startswith("# Client readiness: incomplete")
