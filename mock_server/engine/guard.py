"""The sandbox's outermost layer: what a web page open in a developer's browser must not make it do.

- DNS rebinding: a request naming a Host the sandbox does not answer (`hosts.HostPolicy`) is refused
  with 421, whatever its path;
- cross-site requests: a page of another site can send a POST, PUT or DELETE without asking first
  (no CORS preflight) when it carries no header of its own and its body is a form or `text/plain`.
  A write to the control API is refused when its `Origin` is not the sandbox's own (403), or when
  its `Content-Type` is anything but JSON, or absent while a body comes (415). A write without a
  body and without a content type (`curl -X POST`) is fine: a page cannot send one cross-site
  without its browser adding an `Origin`.

Any other request with a foreign `Origin` is marked (`seen.CROSS_SITE`): without credentials it is in
no journal (a page must not fill the default workspace's journal with requests it sent unasked).

Refused here, a request reaches nothing behind: no world, no journal, no state file, no database.
A request fed back by a replay (marked `UNRECORDED`) was checked when it first came.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from mock_server.core.errors import CrossOriginRequest, MisdirectedRequest, MockError, UnsupportedMediaType
from mock_server.engine.hosts import HostPolicy
from mock_server.engine.incoming import changes_state
from mock_server.engine.seen import CROSS_SITE, UNRECORDED

ErrorAnswer = Callable[[Scope, MockError], Response]
JSON_TYPES = ("application/json",)


def refusal(scope: Scope, policy: HostPolicy, control_prefix: str) -> MockError | None:
    """Why a request must not be answered, or None (a request from a foreign origin is marked)."""
    headers: dict[bytes, str] = {}
    for name, value in scope["headers"]:  # the first of repeated headers, as the engine reads them
        headers.setdefault(name.lower(), value.decode("latin-1"))
    host = headers.get(b"host", "")
    if not policy.answers(host):
        shown = host[:100] or "(none)"
        return MisdirectedRequest(
            f"this sandbox does not answer Host {shown}: it answers loopback names (localhost, 127.0.0.1, "
            "[::1]) and the names given with --allowed-host",
            {"host": shown},
        )
    origin = headers.get(b"origin")
    if origin is not None and not policy.is_own_origin(origin, host):
        scope.setdefault("state", {})[CROSS_SITE] = True
    path: str = scope["path"]
    if changes_state(scope["method"]) and (path == control_prefix or path.startswith(control_prefix + "/")):
        return _cross_site(headers, policy, host)
    return None


def _cross_site(headers: dict[bytes, str], policy: HostPolicy, host: str) -> MockError | None:
    """Why a write to the control API may come from a page of another site, or None."""
    origin = headers.get(b"origin")
    if origin is not None and not policy.is_own_origin(origin, host):
        return CrossOriginRequest(
            "a write to the control API from another origin is refused: use the sandbox's own pages "
            "(/_mock/console, /docs) or a client that is not a browser",
            {"origin": origin[:200]},
        )
    content_type = headers.get(b"content-type")
    media_type = content_type.split(";")[0].strip().lower() if content_type is not None else None
    has_body = headers.get(b"content-length", "0").strip() not in ("0", "") or b"transfer-encoding" in headers
    if (media_type is not None and media_type not in JSON_TYPES) or (media_type is None and has_body):
        return UnsupportedMediaType(
            f"content type '{media_type or 'none'}' is not accepted by the control API: send a body as "
            "application/json (curl --json '{…}', or -H 'Content-Type: application/json'), or no body",
            {"content_type": media_type, "accepted": list(JSON_TYPES)},
        )
    return None


class Guard:
    def __init__(self, app: ASGIApp, policy: HostPolicy, control_prefix: str, answer: ErrorAnswer) -> None:
        self.app = app
        self.policy = policy
        self.control_prefix = control_prefix
        self.answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and UNRECORDED not in scope.get("state", {}):
            refused = refusal(scope, self.policy, self.control_prefix)
            if refused is not None:
                await self.answer(scope, refused)(scope, receive, send)
                return
        await self.app(scope, receive, send)
