"""`RequestJournal`, the helper for clients' test suites, against a real `batchcalls-mock serve`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from support import API, KEY, live_server

from mock_server.testing.journal_client import JournalError, RequestJournal

CREATE = {
    "name": "Spring campaign",
    "agent_id": "agt_sandbox_ready",
    "contact_source": "folder",
    "contact_folder_id": "folder_sandbox_demo",
}


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    with live_server("--clock", "manual", "--quiet") as base:
        yield base


@pytest.fixture
def journal(sandbox_url: str) -> Iterator[RequestJournal]:
    with RequestJournal(sandbox_url, api_key=KEY) as journal:
        journal.clear()
        yield journal


def launch_campaign(base: str) -> None:
    """A client under test: creates a batch call and schedules it."""
    auth = {"Authorization": f"Bearer {KEY}"}
    batch = httpx.post(f"{base}{API}/batch-calls", json=CREATE, headers=auth).json()["data"]
    httpx.post(f"{base}{API}/batch-calls/{batch['id']}/schedule", headers=auth)


def test_the_readme_example(sandbox_url: str) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert 'journal.assert_called("POST", "/api/public/v1/batch-calls/{batch_call_id}/schedule", times=1)' \
        in readme
    journal = RequestJournal(sandbox_url, api_key="sk_test_sandbox")
    journal.clear()
    launch_campaign(sandbox_url)
    journal.assert_called("POST", "/api/public/v1/batch-calls/{batch_call_id}/schedule", times=1)
    journal.close()


def test_entries_count_and_last(journal: RequestJournal, sandbox_url: str) -> None:
    launch_campaign(sandbox_url)
    launch_campaign(sandbox_url)
    assert journal.count() == 4
    assert journal.count(operation_id="schedule_batch_call") == 2
    assert journal.count(since=datetime.now(UTC) + timedelta(hours=1)) == 0
    everything = journal.entries()
    assert [e["operation_id"] for e in everything] == ["schedule_batch_call", "create_batch_call"] * 2
    assert journal.entries(limit=1, offset=1) == everything[1:2]
    last = journal.last(method="POST", path=f"{API}/batch-calls")
    assert last is not None and last["status"] == 201 and last["request_body"] == CREATE
    assert journal.last(status=500) is None


def test_entries_reads_every_page(journal: RequestJournal, sandbox_url: str) -> None:
    for _ in range(3):
        httpx.get(f"{sandbox_url}{API}/agents", headers={"Authorization": f"Bearer {KEY}"})
    assert len(journal.entries()) == 3
    assert len(journal.entries(method="GET")) == 3


def test_assert_called_fails_with_what_was_sent(journal: RequestJournal, sandbox_url: str) -> None:
    launch_campaign(sandbox_url)
    matched = journal.assert_called("POST", f"{API}/batch-calls")
    assert matched[0]["status"] == 201
    with pytest.raises(AssertionError) as failure:
        journal.assert_called("POST", "/api/public/v1/batch-calls/{batch_call_id}/schedule", times=2)
    message = str(failure.value)
    assert "expected 2 × POST" in message and "holds 1" in message
    assert "/schedule -> 200 (schedule_batch_call)" in message
    journal.clear()
    with pytest.raises(AssertionError, match="the journal is empty"):
        journal.assert_called("GET", f"{API}/agents")


def test_a_workspace_journal_is_its_own(journal: RequestJournal, sandbox_url: str) -> None:
    created = httpx.post(f"{sandbox_url}/_mock/workspaces", json={}).json()
    with RequestJournal(sandbox_url, api_key=created["api_key"]) as other:
        launch_campaign(sandbox_url)
        assert other.count() == 0
        assert journal.count(operation_id="create_batch_call") == 1


def test_zudu_credentials(sandbox_url: str) -> None:
    with RequestJournal(sandbox_url, zudu_key="zk_test_sandbox", zudu_secret="zs_test_sandbox") as zudu:
        zudu.clear()
        httpx.get(f"{sandbox_url}/batch-call", headers={"X-API-KEY": "zk_test_sandbox",
                                                        "X-API-SECRET": "zs_test_sandbox"})
        [entry] = zudu.entries()
        assert entry["request_headers"]["x-api-secret"] == "…dbox"


def test_refusals_are_journal_errors(sandbox_url: str) -> None:
    with RequestJournal(sandbox_url, api_key="sk_test_nobody") as stranger:
        with pytest.raises(JournalError, match="401"):
            stranger.count()
        with pytest.raises(JournalError, match="401"):
            stranger.clear()
    with RequestJournal(sandbox_url) as default, pytest.raises(JournalError, match="422"):
        default.entries(status="ok")
    with RequestJournal("http://127.0.0.1:9", timeout=1) as nowhere, pytest.raises(JournalError):
        nowhere.count()
