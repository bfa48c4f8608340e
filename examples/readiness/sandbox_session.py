"""What the three example clients share and a real integration would not need: the command line,
a webhook receiver on 127.0.0.1 (any free port), and the sandbox's control API (the webhook secret,
the receiver's URL, arming the readiness session, reading the report).

What each client does with a request and with a delivery — the part being graded — is in its own
file: careful_client.py, careless_client.py, partial_client.py.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

API = "/api/public/v1"
# (headers with lower-case names, raw body) -> the status to answer
DeliveryHandler = Callable[[dict[str, str], bytes], int]


def arguments(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--base-url", default="http://127.0.0.1:8080", help="the sandbox's root URL")
    parser.add_argument("--api-key", default="sk_test_sandbox", help="the workspace's API key")
    parser.add_argument("--admin-token", default=None, help="the sandbox's admin token, if set")
    return parser.parse_args()


def control(base_url: str, api_key: str, admin_token: str | None = None) -> httpx.Client:
    """A client of the control API (/_mock), scoped to the workspace of `api_key`."""
    headers = {"Authorization": f"Bearer {api_key}"}
    if admin_token:
        headers["X-Mock-Admin-Token"] = admin_token
    return httpx.Client(base_url=base_url, headers=headers, timeout=10)


def api_client(base_url: str, api_key: str) -> httpx.Client:
    """A client of the Batch Calls API itself (Truedy's base path), as a partner's code would have."""
    return httpx.Client(
        base_url=base_url.rstrip("/") + API, headers={"Authorization": f"Bearer {api_key}"}, timeout=10
    )


@contextmanager
def receiver(handle: DeliveryHandler) -> Iterator[str]:
    """A threaded HTTP server on 127.0.0.1 that answers each POST with `handle`; yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = handle({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:  # keep the example's output readable
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/webhooks/truedy"
    finally:
        server.shutdown()
        server.server_close()


def webhook_secret(sandbox: httpx.Client) -> str:
    secret: str = sandbox.get("/_mock/webhooks").raise_for_status().json()["secret"]
    return secret


def set_receiver(sandbox: httpx.Client, url: str | None) -> None:
    sandbox.put("/_mock/webhooks", json={"url": url}).raise_for_status()


def arm(sandbox: httpx.Client) -> dict[str, Any]:
    """Start a readiness session: from now on the sandbox tests the client (and grades it)."""
    session: dict[str, Any] = sandbox.post("/_mock/readiness/start").raise_for_status().json()
    return session


WEBHOOK_CHECKS = (
    "webhook_rejects_bad_signature",
    "webhook_rejects_stale_timestamp",
    "webhook_acknowledges_fast",
)


def settled_report(sandbox: httpx.Client, timeout: float = 10.0) -> dict[str, Any]:
    """The report once the sandbox has noted the receiver's answers (it notes each one after the
    receiver sent it), or as it stands after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        graded: dict[str, Any] = report(sandbox)
        pending = [c for c in graded["checks"] if c["id"] in WEBHOOK_CHECKS and c["status"] == "not_observed"]
        if not pending or time.monotonic() > deadline:
            return graded
        time.sleep(0.05)


def finish(sandbox: httpx.Client, graded: dict[str, Any]) -> dict[str, Any]:
    """Print the report as Markdown, unset the receiver (it stops with the script), answer `graded`."""
    print(report(sandbox, "md"))
    set_receiver(sandbox, None)
    return graded


def main(description: str, run: Callable[[str, str, str | None], dict[str, Any]]) -> int:
    """The command line of an example: exit 0 when the report says `ready`."""
    args = arguments(description)
    return 0 if run(args.base_url, args.api_key, args.admin_token)["verdict"] == "ready" else 1


def report(sandbox: httpx.Client, fmt: str = "json") -> Any:
    response = sandbox.get("/_mock/readiness", params={"format": fmt}).raise_for_status()
    return response.json() if fmt == "json" else response.text
