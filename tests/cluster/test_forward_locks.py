"""A request forwarded to its workspace's owner is not waited on under the forwarding process's lock
(`cluster/middleware.py`). Held there, it kept out anything that needs the process alone (a reset of
everything, a rebuild of its copy): two instances forwarding to each other, each with such a wait,
deadlocked (the adversarial review: writes of both while leases changed hands, every answer gone)."""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from instances import start_all
from owned import OWNED, owned_workspace
from support import API


class HoldingRelay:
    """A TCP relay in front of an instance: a connection whose request is for the API waits until
    `release` before it reaches the instance (a slow owner, as the forwarding instance sees it)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.target = 0  # the instance's port, once it listens
        self.holding = threading.Event()  # an API request is held
        self.release = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        with client:
            head = client.recv(65_536)
            if b" /api/" in head.split(b"\r\n", 1)[0]:
                self.holding.set()
                self.release.wait(60)
            with socket.create_connection(("127.0.0.1", self.target)) as upstream:
                upstream.sendall(head)
                threading.Thread(target=_pipe, args=(client, upstream), daemon=True).start()
                _pipe(upstream, client)

    def close(self) -> None:
        self.release.set()
        self.listener.close()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while chunk := source.recv(65_536):
            sink.sendall(chunk)
    except OSError:
        pass  # either side went away
    finally:
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def test_a_reset_of_everything_does_not_wait_for_a_request_forwarded_to_a_slow_owner(database: str) -> None:
    relay = HoldingRelay()
    a, b = start_all(("--store", database, *OWNED),
                     ("--store", database, *OWNED, "--advertise-url", f"http://127.0.0.1:{relay.port}"))
    try:
        relay.target = int(b.base.rsplit(":", 1)[1])
        _, key = owned_workspace(b.base)  # b owns it; a forwards its requests to b, through the relay
        with ThreadPoolExecutor(1) as pool:
            read = pool.submit(httpx.get, f"{a.base}{API}/batch-calls", headers=key, timeout=60)
            assert relay.holding.wait(10), "a did not forward the read to b"
            started = time.monotonic()
            reset = httpx.post(f"{a.base}/_mock/reset", params={"scope": "all"}, timeout=60)
            took = time.monotonic() - started
            relay.release.set()
            answered = read.result(60)
        assert reset.status_code == 200
        assert took < 5, f"the reset waited {took:.1f} s for the forwarded read"
        assert answered.status_code < 500
    finally:
        relay.close()
        a.stop()
        b.stop()
