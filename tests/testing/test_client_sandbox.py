"""`ClientSandbox`, what the `batchcalls_sandbox` fixture hands a client's test: its clock, journal,
faults, webhook receiver and readiness report, all through the sandbox's HTTP interface."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx2 as httpx
import pytest

from mock_server.testing.client_sandbox import DEFAULT_START, ClientSandbox
from mock_server.testing.webhook_receiver import signature_is_valid

DEMO = {
    "name": "Demo",
    "agent_id": "agt_sandbox_ready",
    "contact_source": "folder",
    "contact_folder_id": "folder_sandbox_demo",
}


@pytest.fixture(scope="module")
def shared() -> Iterator[ClientSandbox]:
    with ClientSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(shared: ClientSandbox) -> ClientSandbox:
    shared.reset()
    return shared


def launch(sandbox: ClientSandbox, **fields: object) -> str:
    auth = {"Authorization": f"Bearer {sandbox.api_key}"}
    batch = httpx.post(f"{sandbox.base_url}/batch-calls", json={**DEMO, **fields}, headers=auth).json()[
        "data"
    ]["id"]
    assert httpx.post(f"{sandbox.base_url}/batch-calls/{batch}/schedule", headers=auth).status_code == 200
    return str(batch)


def test_it_starts_at_the_pinned_instant_on_a_free_loopback_port(sandbox: ClientSandbox) -> None:
    assert sandbox.now() == DEFAULT_START
    assert sandbox.base_url.startswith("http://127.0.0.1:") and sandbox.base_url.endswith("/api/public/v1")
    assert sandbox.origin.rsplit(":", 1)[1] != "8080"
    zudu = httpx.get(f"{sandbox.zudu.base_url}/batch-call/list", headers=sandbox.zudu.headers)
    assert zudu.status_code == 200


def test_the_start_is_overridable() -> None:
    with ClientSandbox(start_at=datetime(2027, 1, 4, 9, tzinfo=UTC), seed=3) as sandbox:
        assert sandbox.now() == datetime(2027, 1, 4, 9, tzinfo=UTC)


def test_advance_and_advance_until_a_moment(sandbox: ClientSandbox) -> None:
    assert sandbox.advance(hours=1, minutes=30)["now"] == "2026-03-02T09:30:00.000000Z"
    sandbox.advance_until(datetime(2026, 3, 3, tzinfo=UTC))
    assert sandbox.now() == datetime(2026, 3, 3, tzinfo=UTC)
    sandbox.advance_until("2026-03-04T00:00:00Z")
    assert sandbox.now() == datetime(2026, 3, 4, tzinfo=UTC)
    with pytest.raises(TypeError):
        sandbox.advance_until()


def test_advance_until_a_batch_reaches_a_status(sandbox: ClientSandbox) -> None:
    batch = launch(sandbox, timezone="America/New_York", start_time="09:00", end_time="17:00")
    done = sandbox.advance_until(batch=batch, status="completed")
    assert done["status"] == "completed" and done["completed_contacts"] == 10
    assert sandbox.now() < DEFAULT_START + timedelta(days=3)  # event by event, not a month at once


def test_advance_until_a_status_that_never_comes_fails_saying_where_the_batch_stood(
    sandbox: ClientSandbox,
) -> None:
    batch = launch(sandbox)
    with pytest.raises(
        AssertionError, match=rf"batch {batch} is 'completed', not 'paused'.*nothing else is due"
    ):
        sandbox.advance_until(batch=batch, status="paused")
    other = launch(sandbox, timezone="America/New_York", start_time="09:00", end_time="17:00")
    with pytest.raises(AssertionError, match="nothing more happens before"):
        sandbox.advance_until(batch=other, status="completed", within=timedelta(minutes=30))


def test_the_journal_and_a_fault(sandbox: ClientSandbox) -> None:
    rule = sandbox.fault(path="/api/public/v1/agents", method="GET", status=503, count=1)
    assert rule["remaining"] == 1
    auth = {"Authorization": f"Bearer {sandbox.api_key}"}
    assert httpx.get(f"{sandbox.base_url}/agents", headers=auth).status_code == 503
    assert httpx.get(f"{sandbox.base_url}/agents", headers=auth).status_code == 200
    first, second = sandbox.journal.assert_called("GET", "/api/public/v1/agents", times=2)
    assert (first["status"], second["status"]) == (200, 503)


def test_a_reset_is_a_fresh_workspace_at_the_start(sandbox: ClientSandbox) -> None:
    launch(sandbox)
    sandbox.fault(path="/api/public/v1/agents", status=500)
    sandbox.advance(days=1)
    sandbox.reset()
    assert sandbox.journal.count() == 0 and sandbox.now() == DEFAULT_START
    assert (
        httpx.get(
            f"{sandbox.base_url}/agents", headers={"Authorization": f"Bearer {sandbox.api_key}"}
        ).status_code
        == 200
    )


def test_the_receiver_collects_verified_events_once_and_refuses_forgeries(sandbox: ClientSandbox) -> None:
    receiver = sandbox.webhooks
    batch = launch(sandbox)
    sandbox.advance(hours=6)
    done = receiver.wait_for("batch.completed", batch_id=batch)
    assert done["data"]["completed_contacts"] == 10
    assert len({e["id"] for e in receiver.events}) == len(receiver.events)
    body = b'{"id":"evt_forged","event":"batch.completed","data":{}}'
    stamp = str(int(time.time()))
    forged = httpx.post(
        receiver.url, content=body, headers={"X-Truedy-Timestamp": stamp, "X-Truedy-Signature": "00"}
    )
    assert forged.status_code == 401 and receiver.rejected == 1
    old = str(int(time.time()) - 600)
    signed_long_ago = hmac.new(
        receiver.secret.encode(), old.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    stale = httpx.post(
        receiver.url, content=body, headers={"X-Truedy-Timestamp": old, "X-Truedy-Signature": signed_long_ago}
    )
    assert stale.status_code == 401 and receiver.rejected == 2
    assert all(e["id"] != "evt_forged" for e in receiver.events)


def test_wait_for_is_bounded_and_says_what_arrived(sandbox: ClientSandbox) -> None:
    receiver = sandbox.webhooks
    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"no batch.completed .* within 0.2 s; received \[\]"):
        receiver.wait_for("batch.completed", timeout=0.2)
    assert time.monotonic() - started < 2


def test_after_a_reset_the_receiver_listens_for_the_fresh_workspace_only(sandbox: ClientSandbox) -> None:
    receiver = sandbox.webhooks
    old_url = receiver.url
    launch(sandbox)
    sandbox.reset()
    assert receiver.url != old_url and receiver.events == []
    configured = httpx.get(
        f"{sandbox.origin}/_mock/webhooks", headers={"Authorization": f"Bearer {sandbox.api_key}"}
    )
    assert configured.json()["url"] == receiver.url
    late = httpx.post(old_url, content=b"{}", headers={"X-Truedy-Timestamp": "1", "X-Truedy-Signature": "x"})
    assert late.status_code == 200 and receiver.events == [] and receiver.rejected == 0  # answered, not kept


def test_signatures_are_checked_as_the_readme_says() -> None:
    body, stamp = b'{"id":"evt_1"}', "1772438400"
    good = hmac.new(b"whsec_x", b"1772438400." + body, hashlib.sha256).hexdigest()
    assert signature_is_valid("whsec_x", stamp, body, good, now=1772438400 + 299)
    assert not signature_is_valid("whsec_x", stamp, body, good, now=1772438400 + 301)
    assert not signature_is_valid("whsec_y", stamp, body, good, now=1772438400)
    assert not signature_is_valid("whsec_x", stamp, body + b" ", good, now=1772438400)


def test_readiness(sandbox: ClientSandbox) -> None:
    sandbox.start_readiness()
    report = sandbox.readiness()
    assert report["verdict"] == "incomplete" and {c["id"] for c in report["checks"]} >= {
        "idempotency_key_on_create"
    }
