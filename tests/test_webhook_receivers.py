"""Hostile webhook receivers: one that trickles its answer, one that never answers (issue 11,
defects 4 and 10's SIGTERM). Real receivers on loopback ports the OS picks; every wait is bounded."""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest
from support import API, start_server


class Trickler:
    """A receiver that reads the request, then sends its answer one byte every `pause` seconds."""

    def __init__(self, pause: float = 3.0) -> None:
        self.pause = pause
        self.accepted = 0
        self.stop = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hooks"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(1)
            try:
                conn.recv(65536)
                for byte in b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n":
                    if self.stop.wait(self.pause):
                        return
                    conn.sendall(bytes([byte]))
            except OSError:
                return

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.sock.close()


class Quick:
    """A receiver that answers 204 at once and notes when each delivery arrived."""

    def __init__(self) -> None:
        self.arrived: list[float] = []
        self.stop = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hooks"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(2)
            try:
                while not self.stop.is_set():
                    data = conn.recv(65536)
                    if not data:
                        return
                    if b"\r\n\r\n" in data:
                        self.arrived.append(time.monotonic())
                        conn.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
            except OSError:
                return

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def trickler() -> Iterator[Trickler]:
    receiver = Trickler()
    yield receiver
    receiver.close()


@pytest.fixture
def quick() -> Iterator[Quick]:
    receiver = Quick()
    yield receiver
    receiver.close()


def run_a_campaign(base: str, headers: dict[str, str], contacts: int = 3) -> None:
    """A scheduled batch whose calls run within the next simulated hours: many events."""
    body = {
        "name": "hooks",
        "agent_id": "agt_sandbox_ready",
        "contacts": [{"phone_number": f"+1415555{n:04d}"} for n in range(contacts)],
    }
    created = httpx.post(f"{base}{API}/batch-calls", json=body, headers=headers, timeout=5)
    assert created.status_code == 201, created.text
    batch_id = created.json()["data"]["id"]
    scheduled = httpx.post(f"{base}{API}/batch-calls/{batch_id}/schedule", headers=headers, timeout=5)
    assert scheduled.status_code == 200, scheduled.text


def advance(base: str, seconds: int) -> None:
    assert httpx.post(f"{base}/_mock/clock/advance", json={"seconds": seconds}, timeout=5).status_code == 200


def test_a_trickling_receiver_does_not_delay_another_workspaces_deliveries(
    trickler: Trickler, quick: Quick
) -> None:
    process, base = start_server("--clock", "manual", "--start-at", "2026-03-02T14:00:00Z",
                                 "--webhook-url", trickler.url)
    try:
        run_a_campaign(base, {"Authorization": "Bearer sk_test_sandbox"}, contacts=20)
        advance(base, 4 * 3600)  # dozens of events for the trickler: every slot it may take
        deadline = time.monotonic() + 5
        while trickler.accepted == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        other = httpx.post(f"{base}/_mock/workspaces", timeout=5).json()
        headers = {"Authorization": f"Bearer {other['api_key']}"}
        put = httpx.put(f"{base}/_mock/webhooks", json={"url": quick.url}, headers=headers, timeout=5)
        assert put.status_code == 200, put.text
        run_a_campaign(base, headers)
        sent = time.monotonic()
        advance(base, 4 * 3600)
        deadline = sent + 10
        while not quick.arrived and time.monotonic() < deadline:
            time.sleep(0.02)
        assert quick.arrived, "the quick receiver got nothing"
        assert quick.arrived[0] - sent < 0.5, quick.arrived[0] - sent
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)
    assert "Traceback" not in stderr, stderr


def test_the_deadline_covers_the_whole_attempt(trickler: Trickler) -> None:
    process, base = start_server("--clock", "manual", "--start-at", "2026-03-02T14:00:00Z",
                                 "--webhook-url", trickler.url)
    try:
        run_a_campaign(base, {"Authorization": "Bearer sk_test_sandbox"}, contacts=1)
        advance(base, 3600)
        # the answer takes 45 bytes x 3 s; the attempt must end at its 5 s deadline, not per read
        deadline = time.monotonic() + 12
        attempts: list[dict[str, Any]] = []
        while time.monotonic() < deadline and not attempts:
            found = httpx.get(f"{base}/_mock/webhooks/deliveries", timeout=5).json()
            attempts = [a for d in found["data"] for a in d["attempts"]]
            time.sleep(0.1)
        assert attempts and attempts[0]["status_code"] is None
        assert "deadline" in attempts[0]["error"]
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)
    assert "Traceback" not in stderr, stderr


def test_sigterm_with_deliveries_in_flight_shuts_down_cleanly(trickler: Trickler) -> None:
    process, base = start_server("--clock", "manual", "--start-at", "2026-03-02T14:00:00Z",
                                 "--webhook-url", trickler.url)
    run_a_campaign(base, {"Authorization": "Bearer sk_test_sandbox"}, contacts=10)
    advance(base, 4 * 3600)
    deadline = time.monotonic() + 5
    while trickler.accepted == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=20)
    assert process.returncode in (0, -signal.SIGTERM), stderr  # uvicorn re-raises the signal
    for sign in ("Traceback", "never retrieved", "was destroyed"):
        assert sign not in stderr, stderr
