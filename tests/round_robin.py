"""A round-robin HTTP forwarder for the cluster tests: each request goes to the next instance, with no
stickiness, the way a plain load balancer spreads a client's requests over a shared sandbox.

It is a bare ASGI app served by uvicorn in a thread on 127.0.0.1 (a port the OS picks), forwarding
with httpx. An instance that refuses the connection is skipped for that request (the request never
reached it, so sending it to the next one is safe): a load balancer's health check, in one line.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

# Hop-by-hop headers (RFC 9110 7.6.1) and the framing httpx sets again itself
HOP = {b"connection", b"keep-alive", b"transfer-encoding", b"te", b"trailer", b"upgrade",
       b"proxy-connection", b"content-length"}


class Forwarder:
    """The ASGI app; `backends` are base URLs such as http://127.0.0.1:8001, `sent` counts per backend."""

    def __init__(self, backends: Sequence[str]) -> None:
        self.backends = list(backends)
        self.sent = dict.fromkeys(self.backends, 0)
        self._next = itertools.cycle(range(len(self.backends)))
        self._client: httpx.AsyncClient | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                self._client = httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=400))
                await send({"type": "lifespan.startup.complete"})
            if self._client is not None:
                await self._client.aclose()
            await send({"type": "lifespan.shutdown.complete"})
            return
        assert scope["type"] == "http" and self._client is not None
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path = scope["raw_path"] or scope["path"].encode()
        target = path + (b"?" + scope["query_string"] if scope["query_string"] else b"")
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in HOP]
        for _ in self.backends:
            backend = self.backends[next(self._next)]
            request = self._client.build_request(scope["method"], backend + target.decode("latin-1"),
                                                 headers=headers, content=bytes(body))
            try:
                response = await self._client.send(request)
            except httpx.ConnectError:
                continue  # a dead instance: the next one takes the request
            self.sent[backend] += 1
            out = [(k, v) for k, v in response.headers.raw if k.lower() not in HOP]
            out.append((b"content-length", str(len(response.content)).encode()))
            await send({"type": "http.response.start", "status": response.status_code, "headers": out})
            await send({"type": "http.response.body", "body": response.content})
            return
        message_body = b'{"error":"no instance is up"}'
        await send({"type": "http.response.start", "status": 502,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": message_body})


@contextmanager
def forwarding(backends: Sequence[str]) -> Iterator[tuple[str, Forwarder]]:
    """A forwarder in front of `backends` for the length of the block; yields its base URL and itself."""
    app = Forwarder(backends)
    # port 0 through uvicorn's own bind: a socket handed over with `sockets=` answers 40 ms late
    # (its writes wait for the client's delayed ACKs)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, log_level="critical",
                            access_log=False, lifespan="on",
                            loop="asyncio", http="h11", timeout_graceful_shutdown=5,
                            server_header=False, date_header=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the forwarder did not start")
            threading.Event().wait(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(10)
