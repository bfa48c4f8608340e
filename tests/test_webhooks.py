"""Webhooks through HTTP, with a real receiver on a loopback port the OS picks."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from support import API, AUTH, CheckedClient, make_client

from mock_server.webhooks import backoff, sign

SECRET = "whsec_test_secret"


class Receiver:
    """Records every delivery; answers 500 to the first `fail_first` attempts of each event."""

    def __init__(self, fail_first: int = 0, hold: threading.Event | None = None) -> None:
        self.fail_first = fail_first
        self.hold = hold
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.hold is not None:
                    receiver.hold.wait(timeout=10)
                body = json.loads(raw)
                with receiver.lock:
                    tries = sum(1 for r in receiver.received if r["body"]["id"] == body["id"])
                    receiver.received.append({"raw": raw, "body": body, "at": time.monotonic(),
                                              "headers": dict(self.headers)})
                status = 500 if tries < receiver.fail_first else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fast_client() -> Iterator[CheckedClient]:
    with make_client(webhook_retry_base_seconds=0.05) as c:
        yield c


def run_small_campaign(client: CheckedClient) -> str:
    body = {"name": "Hooks", "agent_id": "agt_sandbox_ready",
            "contacts": [{"phone_number": "+15550100001"}, {"phone_number": "+14155550777"}]}
    batch_id = client.post(f"{API}/batch-calls", json=body, headers=AUTH).json()["data"]["id"]
    assert client.post(f"{API}/batch-calls/{batch_id}/schedule", headers=AUTH).status_code == 200
    client.post("/_mock/clock/advance", json={"seconds": 3 * 86400})
    return str(batch_id)


def wait_delivered(client: CheckedClient, expected: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 20
    while True:
        found = client.get("/_mock/webhooks/deliveries", headers=AUTH).json()["data"]
        if len(found) >= expected and all(d["state"] == "delivered" for d in found):
            return list(found)
        assert time.monotonic() < deadline, f"not delivered in time: {found}"
        time.sleep(0.05)


def test_signed_retried_and_nothing_lost(fast_client: CheckedClient) -> None:
    receiver = Receiver(fail_first=2)
    try:
        configured = fast_client.put("/_mock/webhooks", json={"url": receiver.url, "secret": SECRET},
                                     headers=AUTH)
        assert configured.status_code == 200
        batch_id = run_small_campaign(fast_client)
        events = fast_client.get("/_mock/events", headers=AUTH).json()["data"]
        kinds = {e["event"] for e in events}
        assert {"batch.status.changed", "batch.completed", "call.started", "call.ended"} <= kinds
        deliveries = wait_delivered(fast_client, len(events))
        # every event delivered, each after two refusals
        assert sorted(d["event_id"] for d in deliveries) == sorted(e["id"] for e in events)
        for delivery in deliveries:
            assert [a["status_code"] for a in delivery["attempts"]] == [500, 500, 204]
        with receiver.lock:
            received = list(receiver.received)
        assert {r["body"]["id"] for r in received} == {e["id"] for e in events}
        for r in received:
            stamp = r["headers"]["X-Truedy-Timestamp"]
            assert r["headers"]["X-Truedy-Signature"] == sign(SECRET, stamp, r["raw"])
            assert set(r["body"]) == {"id", "event", "timestamp", "data"}
        completed = [r["body"] for r in received if r["body"]["event"] == "batch.completed"]
        assert completed[0]["data"]["batch_id"] == batch_id
        # back-off: the gaps between one event's attempts grow
        first_id = events[0]["id"]
        times = [r["at"] for r in received if r["body"]["id"] == first_id]
        assert times[1] - times[0] >= backoff(1, 0.05, 300) * 0.9
        assert times[2] - times[1] >= backoff(2, 0.05, 300) * 0.9
    finally:
        receiver.close()


def test_a_hung_receiver_never_blocks_a_request(fast_client: CheckedClient) -> None:
    hold = threading.Event()
    receiver = Receiver(hold=hold)
    answered_while_held = False
    try:
        fast_client.put("/_mock/webhooks", json={"url": receiver.url}, headers=AUTH)
        run_small_campaign(fast_client)
        # the receiver is still holding its first delivery; the API keeps answering
        answered_while_held = fast_client.get(f"{API}/agents", headers=AUTH).status_code == 200
        answered_while_held = answered_while_held and not hold.is_set()
        hold.set()
        events = fast_client.get("/_mock/events", headers=AUTH).json()["data"]
        wait_delivered(fast_client, len(events))
    finally:
        hold.set()
        receiver.close()
    assert answered_while_held


def test_a_receiver_that_is_down_keeps_events_pending(fast_client: CheckedClient) -> None:
    receiver = Receiver()
    url = receiver.url
    receiver.close()  # nothing listens there now
    fast_client.put("/_mock/webhooks", json={"url": url}, headers=AUTH)
    run_small_campaign(fast_client)
    time.sleep(0.3)
    deliveries = fast_client.get("/_mock/webhooks/deliveries", headers=AUTH).json()["data"]
    assert deliveries and all(d["state"] == "pending" for d in deliveries)
    assert all(d["attempts"] and d["attempts"][0]["error"] for d in deliveries)


def test_webhook_settings_are_validated(client: CheckedClient) -> None:
    assert client.put("/_mock/webhooks", json={"url": "ftp://x"}, headers=AUTH).status_code == 422
    broken = client.put("/_mock/webhooks", content=b"{", headers={**AUTH, "Content-Type": "application/json"})
    assert broken.status_code == 400
    secret = client.get("/_mock/webhooks", headers=AUTH).json()["secret"]
    assert secret.startswith("whsec_")
