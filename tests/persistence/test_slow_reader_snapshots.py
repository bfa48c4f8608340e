"""A snapshot waits for the requests inside the app, not for an answer on its way to a slow client:
a client taking its answers as a trickle (and so keeping its connection: it takes enough) kept every
snapshot from being taken, and the state file grew by every row (the adversarial review)."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from support import live_server

WRITES = 60


def test_snapshots_are_taken_while_a_slow_client_takes_its_answers(tmp_path: Path) -> None:
    state_file = tmp_path / "state.db"
    with live_server("--clock", "manual", "--quiet", "--state-file", str(state_file),
                     "--snapshot-every", "20") as base:
        where = urlsplit(base)
        reader = socket.create_connection((where.hostname, where.port), timeout=10)
        reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        reader.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" * 40)  # 8.6 MB
        done = threading.Event()
        taken = [0]

        def trickle() -> None:  # about 130 KB a second: the answers take a minute
            while not done.is_set():
                taken[0] += len(reader.recv(4096))
                time.sleep(0.03)

        thread = threading.Thread(target=trickle)
        thread.start()
        try:
            time.sleep(1)
            for _ in range(WRITES):
                assert httpx.post(f"{base}/_mock/workspaces").status_code == 201
        finally:
            done.set()
            thread.join()
            reader.close()
        assert 0 < taken[0] < 40 * 200_000  # the slow client was still taking its answers
        with sqlite3.connect(state_file) as db:
            snapshot = db.execute("SELECT seq FROM snapshot").fetchone()
            rows = db.execute("SELECT count(*) FROM requests").fetchone()[0]
    assert snapshot is not None and snapshot[0] >= 40, snapshot
    assert rows < 20 + 5, f"{rows} rows not compacted"
