"""A webhook receiver for the tests, on a loopback port the OS picks: each path answers as told
(a status, or holding the request until released), and the receiver notes what arrived, on which
path, and how many requests each path held at once."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionResetError | BrokenPipeError):
            return  # a sender that went away (an attempt abandoned, the sandbox stopping): no traceback
        super().handle_error(request, client_address)


class Receiver:
    """`statuses` maps a path to its answer (204 otherwise); paths in `holding` wait for `release()`
    (at most `hold_seconds`) before answering."""

    def __init__(self, statuses: dict[str, int] | None = None, holding: tuple[str, ...] = (),
                 hold_seconds: float = 30.0, headers: dict[str, dict[str, str]] | None = None) -> None:
        self.statuses = statuses or {}
        self.holding = holding
        self.headers = headers or {}
        self.released = threading.Event()
        self.lock = threading.Lock()
        self.arrived: list[dict[str, Any]] = []  # {"path", "body", "at"}, in order of arrival
        self.open: dict[str, int] = {}  # path -> requests being held now
        self.most_open: dict[str, int] = {}  # path -> the most held at once
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver._arrive(self.path, raw)
                status = receiver.statuses.get(self.path, 204)
                self.send_response(status)
                for name, value in receiver.headers.get(self.path, {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.hold_seconds = hold_seconds
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return self.origin + path

    def _arrive(self, path: str, raw: bytes) -> None:
        with self.lock:
            self.arrived.append({"path": path, "body": json.loads(raw), "at": time.monotonic()})
            if path not in self.holding:
                return
            self.open[path] = self.open.get(path, 0) + 1
            self.most_open[path] = max(self.most_open.get(path, 0), self.open[path])
        self.released.wait(self.hold_seconds)
        with self.lock:
            self.open[path] -= 1

    def on(self, path: str) -> list[dict[str, Any]]:
        with self.lock:
            return [a for a in self.arrived if a["path"] == path]

    def release(self) -> None:
        self.released.set()

    def close(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()


def wait_until(done: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll `done` until it holds; fail the test after `seconds`."""
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.01)


@contextmanager
def receiving(**options: Any) -> Iterator[Receiver]:
    receiver = Receiver(**options)
    try:
        yield receiver
    finally:
        receiver.close()


def run_campaign(client: Any, headers: dict[str, str], contacts: int) -> list[dict[str, Any]]:
    """A campaign of `contacts` calls in the workspace of `headers`, run to its end on the manual
    clock (two events a call, three of the batch): the workspace's events afterwards."""
    body = {"name": "hooks", "agent_id": "agt_sandbox_ready", "max_concurrent_calls": 100,
            "working_days": [1, 2, 3, 4, 5, 6, 7],
            "contacts": [{"phone_number": f"+1415{n:07d}"} for n in range(contacts)]}
    created = client.post("/api/public/v1/batch-calls", json=body, headers=headers)
    assert created.status_code == 201, created.text
    batch_id = created.json()["data"]["id"]
    scheduled = client.post(f"/api/public/v1/batch-calls/{batch_id}/schedule", headers=headers)
    assert scheduled.status_code == 200, scheduled.text
    advanced = client.post("/_mock/clock/advance", json={"seconds": 7 * 86400}, headers=headers)
    assert advanced.status_code == 200, advanced.text
    events: list[dict[str, Any]] = client.get("/_mock/events", headers=headers).json()["data"]
    return events
