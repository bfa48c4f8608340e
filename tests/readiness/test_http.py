"""Readiness through HTTP with scripted clients: the control operations, the challenges as a client
meets them, and the checks the example clients do not fail. The test client checks every answer,
the control API's included, against its document."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from support import API, AUTH, CheckedClient, make_client

CAMPAIGN = {"name": "Ready", "agent_id": "agt_sandbox_ready", "contacts": [{"phone_number": "+15550100001"}]}


@pytest.fixture
def client() -> Iterator[CheckedClient]:
    with make_client() as c:  # with its lifespan: the webhook outbox runs
        yield c


def arm(client: CheckedClient, headers: dict[str, str] = AUTH) -> dict[str, Any]:
    started = client.post("/_mock/readiness/start", headers=headers)
    assert started.status_code == 201, started.text
    body: dict[str, Any] = started.json()
    return body


def report(client: CheckedClient, headers: dict[str, str] = AUTH) -> dict[str, Any]:
    answer = client.get("/_mock/readiness", headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def status_of(client: CheckedClient, check_id: str) -> str:
    return next(c["status"] for c in report(client)["checks"] if c["id"] == check_id)


def create_through_the_challenges(client: CheckedClient) -> str:
    """A create that meets the 503 (retried at once: this script is not grading that) and the 429."""
    headers = {**AUTH, "X-Idempotency-Key": "k-1"}
    assert client.post(f"{API}/batch-calls", json=CAMPAIGN, headers=headers).status_code == 503
    batch_id: str = client.post(f"{API}/batch-calls", json=CAMPAIGN, headers=headers).json()["data"]["id"]
    assert client.get(f"{API}/agents", headers=AUTH).status_code == 429
    return batch_id


def test_no_session_until_armed_and_bad_formats(client: CheckedClient) -> None:
    missing = client.get("/_mock/readiness", headers=AUTH)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "readiness_not_started"
    stranger = {"Authorization": "Bearer nope"}
    assert client.get("/_mock/readiness", headers=stranger).status_code == 401
    assert client.post("/_mock/readiness/start", headers=stranger).status_code == 401
    arm(client)
    assert client.get("/_mock/readiness?format=pdf", headers=AUTH).status_code == 422


def test_the_challenges_answer_documented_errors_with_retry_after(client: CheckedClient) -> None:
    session = arm(client)
    assert session["workspace_id"] and session["started_at"].endswith("Z") and session["challenges"]
    headers = {**AUTH, "X-Idempotency-Key": "k-1"}
    unavailable = client.post(f"{API}/batch-calls", json=CAMPAIGN, headers=headers)
    assert (unavailable.status_code, unavailable.headers["Retry-After"]) == (503, "1")
    assert client.get(f"{API}/batch-calls", headers=AUTH).json()["pagination"]["total"] == 0  # nothing made
    assert client.post(f"{API}/batch-calls", json=CAMPAIGN, headers=headers).status_code == 201
    throttled = client.get(f"{API}/batch-calls", headers=AUTH)
    assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "2")
    assert throttled.json()["error"]["code"] == "rate_limit_exceeded"
    assert client.get(f"{API}/batch-calls", headers=AUTH).status_code == 200  # once each


def test_reports_render_as_markdown_and_html(client: CheckedClient) -> None:
    arm(client)
    create_through_the_challenges(client)
    md = client.get("/_mock/readiness?format=md", headers=AUTH)
    assert md.headers["content-type"].startswith("text/markdown")
    assert md.text.startswith("# Client readiness: not_ready")  # the 503 was retried at once
    html = client.get("/_mock/readiness?format=html", headers=AUTH)
    assert html.headers["content-type"].startswith("text/html") and 'id="honors_retry_after"' in html.text


def test_sessions_are_per_world_and_a_reset_ends_one(client: CheckedClient) -> None:
    other = {"Authorization": f"Bearer {client.post('/_mock/workspaces').json()['api_key']}"}
    arm(client, other)
    assert client.post(f"{API}/batch-calls", json=CAMPAIGN, headers=AUTH).status_code == 201  # not armed
    assert client.get("/_mock/readiness", headers=AUTH).status_code == 404
    assert report(client, other)["verdict"] == "incomplete"
    assert client.post("/_mock/reset", headers=other).status_code == 200
    assert client.get("/_mock/readiness", headers=other).status_code == 404


def test_hammering_a_refused_request_fails(client: CheckedClient) -> None:
    arm(client)
    create_through_the_challenges(client)
    empty = client.post(f"{API}/batch-calls", json={"name": "Empty", "agent_id": "agt_sandbox_ready"},
                        headers={**AUTH, "X-Idempotency-Key": "k-2"}).json()["data"]["id"]
    for _ in range(3):
        refused = client.post(f"{API}/batch-calls/{empty}/schedule", headers=AUTH)
        assert refused.json()["error"]["code"] == "no_contacts"
    assert status_of(client, "no_hammering_on_errors") == "passed"  # sent again twice: still fine
    client.post(f"{API}/batch-calls/{empty}/schedule", headers=AUTH)
    assert status_of(client, "no_hammering_on_errors") == "failed"


def test_learning_the_schema_by_trial_fails(client: CheckedClient) -> None:
    arm(client)
    assert client.get(f"{API}/agents?limit=500", headers=AUTH).status_code == 422  # before any success
    assert client.get(f"{API}/agents", headers=AUTH).status_code == 200
    assert status_of(client, "sends_valid_requests") == "passed"
    assert client.get(f"{API}/agents?limit=500", headers=AUTH).status_code == 422
    assert status_of(client, "sends_valid_requests") == "failed"


class SlowReceiver:
    """Answers 500 to real deliveries and 401 to everything the readiness session forged."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                forged = b"_bad_signature" in raw or b"_stale_timestamp" in raw
                self.send_response(401 if forged else 500)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_receiver_that_fails_real_deliveries_fails_the_acknowledgement() -> None:
    receiver = SlowReceiver()
    try:
        with make_client(webhook_retry_base_seconds=0.05) as client:
            client.put("/_mock/webhooks", json={"url": receiver.url}, headers=AUTH)
            arm(client)
            assert status_of(client, "webhook_acknowledges_fast") == "not_observed"
            batch_id = create_through_the_challenges(client)
            assert client.post(f"{API}/batch-calls/{batch_id}/schedule", headers=AUTH).status_code == 200
            webhook_checks = ("webhook_acknowledges_fast", "webhook_rejects_bad_signature",
                              "webhook_rejects_stale_timestamp")
            deadline = time.monotonic() + 10
            while True:  # the outbox notes each answer after the receiver sent it
                found = {c["id"]: c["status"] for c in report(client)["checks"]}
                if all(found[c] != "not_observed" for c in webhook_checks) or time.monotonic() > deadline:
                    break
                time.sleep(0.02)
            assert found["webhook_acknowledges_fast"] == "failed"
            assert found["webhook_rejects_bad_signature"] == "passed"
            assert found["webhook_rejects_stale_timestamp"] == "passed"
            client.put("/_mock/webhooks", json={"url": None}, headers=AUTH)
    finally:
        receiver.close()


def test_the_report_shows_what_the_client_exercised_of_the_contract(client: CheckedClient) -> None:
    arm(client)
    batch = create_through_the_challenges(client)
    client.get(f"{API}/batch-calls/{batch}", headers=AUTH)
    client.post(f"{API}/batch-calls/{batch}/resume", headers=AUTH)  # a draft: 422 invalid_state
    coverage = report(client)["coverage"]
    rows = {row["operation"]: row for row in coverage["by_operation"]}
    assert coverage["operations"]["exercised"] == 4  # create, list (429), get, resume
    assert coverage["operations"]["documented"] == len(rows) == 22
    assert rows["POST /batch-calls"]["statuses_answered"] == ["201", "503"]
    assert rows["POST /batch-calls/{batch_call_id}/resume"]["codes_422_answered"] == ["invalid_state"]
    assert "agent_not_ready" in rows["POST /batch-calls"]["codes_422_not_answered"]
    assert coverage["codes_422"]["exercised"] == 1 and coverage["statuses"]["exercised"] == 5
    md = client.get("/_mock/readiness?format=md", headers=AUTH).text
    assert "## Coverage" in md and "4 of 22 operations, 5 of" in md
    page = client.get("/_mock/readiness?format=html", headers=AUTH).text
    assert '<p id="coverage">coverage: 4 of 22 operations' in page and "<td>invalid_state</td>" in page
