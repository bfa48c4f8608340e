"""A webhook receiver for a client's tests: it checks each delivery as a careful partner would
(`X-Truedy-Signature` is the hex HMAC-SHA256 of `timestamp + "." + raw body` with the workspace's
secret, compared in constant time; `X-Truedy-Timestamp` within 5 minutes of this machine's clock),
answers 401 to what fails, and collects the events that pass, each once (receivers dedupe by id).

It listens on 127.0.0.1 and a free port, in a thread of the test process; `wait_for` blocks until a
matching event arrived, for at most `timeout` seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

MAX_BODY_BYTES = 1_048_576
TOLERANCE_SECONDS = 300


def signature_is_valid(secret: str, timestamp: str, body: bytes, signature: str, now: float) -> bool:
    """Whether a delivery is signed with `secret` and stamped within 5 minutes of `now`."""
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return False
    return timestamp.isdigit() and abs(now - int(timestamp)) <= TOLERANCE_SECONDS


class WebhookReceiver:
    """Verified events of one workspace: `events` (each event id once), `rejected` (what failed)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.secret = ""
        self.events: list[dict[str, Any]] = []
        self.rejected = 0
        self._seen: set[str] = set()
        self._clock = clock
        self._changed = threading.Condition()
        self._path = ""
        self._stack = ExitStack()
        self.origin = ""

    def start(self) -> str:
        """Serve on a free loopback port; answers the origin (`http://127.0.0.1:PORT`)."""
        from contracts.inprocess import serve

        app = Starlette(routes=[Route("/hooks/{token}", self._receive, methods=["POST"])])
        self.origin = self._stack.enter_context(serve(app))
        return self.origin

    def listen(self, secret: str) -> str:
        """Start over for a (fresh) workspace with `secret`: forget every event, and answer what is
        still on its way to the previous URL without keeping it. Answers the URL to give the sandbox."""
        with self._changed:
            self.secret = secret
            self.events.clear()
            self._seen.clear()
            self.rejected = 0
            self._path = f"/hooks/{secrets.token_hex(8)}"
        return self.origin + self._path

    @property
    def url(self) -> str:
        return self.origin + self._path

    def wait_for(self, event: str | None = None, *, timeout: float = 5.0, **data: Any) -> dict[str, Any]:
        """The first collected event of type `event` (any, if None) whose `data` has these values;
        waits for it up to `timeout` seconds, then fails the test saying what did arrive."""

        def found() -> dict[str, Any] | None:
            return next(
                (
                    e
                    for e in self.events
                    if (event is None or e.get("event") == event)
                    and all(e.get("data", {}).get(k) == v for k, v in data.items())
                ),
                None,
            )

        with self._changed:
            if not self._changed.wait_for(lambda: found() is not None, timeout=timeout):
                kinds = [e.get("event") for e in self.events]
                raise AssertionError(
                    f"no {event or 'event'} {data or ''} within {timeout:g} s; received {kinds}, "
                    f"rejected {self.rejected}"
                )
            match = found()
            assert match is not None
            return match

    def close(self) -> None:
        self._stack.close()

    async def _receive(self, request: Request) -> Response:
        body = await request.body()
        if request.url.path != self._path:  # a world this receiver no longer listens for
            return Response(status_code=200)
        timestamp = request.headers.get("x-truedy-timestamp", "")
        signature = request.headers.get("x-truedy-signature", "")
        with self._changed:
            if len(body) > MAX_BODY_BYTES or not signature_is_valid(
                self.secret, timestamp, body, signature, self._clock()
            ):
                self.rejected += 1
                return Response(status_code=401)
            try:
                event = orjson.loads(body)
            except orjson.JSONDecodeError:
                self.rejected += 1
                return Response(status_code=400)
            if isinstance(event, dict) and event.get("id") not in self._seen:
                self._seen.add(str(event.get("id")))
                self.events.append(event)
                self._changed.notify_all()
        return Response(status_code=200)
