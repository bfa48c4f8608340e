"""Serve an ASGI app (the sandbox, by default) on 127.0.0.1 and an OS-chosen port, in a thread.

The kit always talks HTTP, so "in-process" means a real socket in this process: what is tested is
exactly what a remote client would see.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from contracts.errors import KitError

API_BASE_PATH = "/api/public/v1"


@contextmanager
def serve(
    app: Any, host: str = "127.0.0.1", startup_timeout: float = 10.0, port: int = 0, **options: Any
) -> Iterator[str]:
    """Yield the server's origin (`http://127.0.0.1:PORT`) while it runs (`port` 0: a free one);
    `options`: more uvicorn.Config options (e.g. `date_header=False`)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host, port))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="error", access_log=False, lifespan="on", ws="none", **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, daemon=True, name=f"sandbox-{port}"
    )
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise KitError(f"the in-process server on port {port} did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()


@contextmanager
def sandbox(**settings: Any) -> Iterator[str]:
    """The Batch Calls sandbox with these Settings (e.g. `defects=...`); yields its API base URL
    (its origin + API_BASE_PATH; an API it serves at the root is at the origin)."""
    from mock_server.app import create_app
    from mock_server.settings import Settings

    # no access log: inside a test run, its lines would mix with the runner's own output; it listens
    # on loopback, so it answers loopback's Host names only, as `serve` does (DNS rebinding), and
    # its receivers may be on loopback too, as `serve --host 127.0.0.1` allows
    loopback = {"listen_host": "127.0.0.1", "allow_private_webhooks": True}
    chosen = Settings(**{"quiet": True, **loopback, **settings})
    with serve(create_app(chosen)) as origin:
        yield origin + API_BASE_PATH
