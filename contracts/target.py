"""The server under test: is it there, does it speak the API, and is it the sandbox?

Every request the kit sends itself (the probe, the rules, the cleanup; Schemathesis has its own, see
`fuzz`) is read by `fetch`, within the bounds of `contracts.body`: at most MAX_ANSWER bytes, the
whole answer within --timeout. Every transport problem becomes one `TargetError` sentence here, so
no caller sees a traceback.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from contracts.body import ACCEPT_ENCODING, MAX_ANSWER, BoundedBody
from contracts.curl import curl_command
from contracts.errors import (
    TargetError,
    TargetNotApi,
    TargetNotHttp,
    TargetRejectedKey,
    TargetTimeout,
    TargetUnreachable,
    UsageError,
)
from contracts.exchange import TargetExchange, parse_json

if TYPE_CHECKING:
    from contracts.dialects import KitDialect

WAIT_STEP = 0.2  # seconds between two connection attempts while --wait lasts
MOCK_HEALTH = "/_mock/health"
MOCK_CLOCK_ADVANCE = "/_mock/clock/advance"


@dataclass(frozen=True, slots=True)
class TargetInfo:
    base_url: str
    origin: str  # scheme://host:port
    is_sandbox: bool  # the target is this project's mock: its control API is there
    clock: str | None = None  # the sandbox's clock mode ("real" or "manual"); None when not the sandbox
    probe: TargetExchange | None = None  # the probe's answer, checked like every other one


def check_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"--base-url must be an http(s) URL such as http://127.0.0.1:8080/api/public/v1, got '{base_url}'"
        )
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise UsageError(f"--base-url has an invalid port: '{base_url}'") from None
    return base_url.rstrip("/")


def address(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer as the kit read it: `content` decoded, `cut` why it is not whole ("": it is)."""

    status: int
    headers: Mapping[str, str]  # lower-case names
    content: bytes
    cut: str = ""

    def json(self) -> Any:
        return parse_json(self.content)


def http_client(timeout: float) -> httpx.Client:
    """An HTTP client of the kit: it asks only for the encodings `BoundedBody` decodes."""
    return httpx.Client(timeout=timeout, headers={"Accept-Encoding": ACCEPT_ENCODING})


def fetch(client: httpx.Client, request: httpx.Request, timeout: float) -> Answer:
    """Send `request`; read its answer within the bounds (MAX_ANSWER bytes, `timeout` seconds for the
    whole answer; a read in progress may add one `timeout`). Raises httpx.HTTPError when no answer
    came; a body cut short is an Answer whose `cut` says why."""
    started = time.monotonic()
    response = client.send(request, stream=True)
    body = BoundedBody(response.headers.get("content-encoding", ""), MAX_ANSWER, timeout, started)
    try:
        for chunk in response.iter_raw():
            if not body.feed(chunk):
                break
    except httpx.TimeoutException:
        body.too_slow()
    finally:
        response.close()
    content = body.finish()
    headers = {k.lower(): v for k, v in response.headers.items()}
    return Answer(response.status_code, headers, content, body.reason)


def transport_error(exc: httpx.HTTPError, url: str, timeout: float) -> TargetError:
    """One sentence for a transport failure of a request to `url`."""
    where = address(url)
    if isinstance(exc, httpx.ConnectTimeout):
        return TargetTimeout(f"connecting to {where} timed out after {timeout:g} s: is the host reachable?")
    if isinstance(exc, httpx.TimeoutException):
        return TargetTimeout(
            f"{where} accepted the connection but did not answer within {timeout:g} s "
            "(raise --timeout if the server is just slow)"
        )
    if isinstance(exc, httpx.ConnectError):
        reason = str(exc).split("] ")[-1] or "connection failed"
        return TargetUnreachable(f"cannot connect to {where} ({reason}): is the server running there?")
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        return TargetNotHttp(
            f"{where} reset the connection without an HTTP answer: is that the API's port, "
            "and is the server still up?"
        )
    if isinstance(exc, httpx.RemoteProtocolError | httpx.LocalProtocolError | httpx.DecodingError):
        return TargetNotHttp(
            f"{where} does not answer HTTP ({exc or 'it closed the connection'}): is that the API's port?"
        )
    return TargetError(f"the request to {where} failed: {exc}")


def _get(client: httpx.Client, url: str, params: Mapping[str, Any], headers: Mapping[str, str]) -> Answer:
    request = client.build_request("GET", url, params=params, headers=headers)
    return fetch(client, request, client.timeout.read or 0)


def _first_answer(
    client: httpx.Client, url: str, params: Mapping[str, Any], headers: Mapping[str, str], wait: float
) -> Answer:
    """GET `url`; with `wait` > 0, retry while nothing accepts the connection (a server still starting)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return _get(client, url, params, headers)
        except httpx.HTTPError as exc:
            error = transport_error(exc, url, client.timeout.read or 0)
            if wait <= 0 or not isinstance(error, TargetUnreachable | TargetNotHttp):
                raise error from None
            if time.monotonic() >= deadline:
                raise type(error)(
                    f"nothing answered HTTP at {address(url)} within --wait {wait:g} s ({error})"
                ) from None
            time.sleep(WAIT_STEP)


def _not_the_api(answer: Answer) -> str | None:
    """Why this answer says the URL is not the API's base (a 404, a web page); None: it claims to be."""
    content_type = answer.headers.get("content-type", "")
    if answer.status == 404:
        return "404"
    if "html" in content_type or answer.content.lstrip()[:1] == b"<":
        return f"{answer.status} with HTML"
    return None


def probe(
    candidates: Sequence[str],
    api_key: str,
    timeout: float,
    *,
    api_secret: str | None = None,
    dialect: KitDialect,
    wait: float = 0.0,
    secrets: Mapping[str, str] | None = None,
) -> TargetInfo:
    """Ask for one batch call under each candidate base URL; the first that answers as the API (any
    answer but a 404 or a web page) is the target. Its answer is checked like every other one: a 5xx,
    a wrong content type or a broken envelope is a finding, not a reason to stop. Stops (a
    TargetError) only when nothing listens, the key is refused, or no candidate is the API."""
    refused: list[str] = []
    headers = dialect.auth_headers(api_key, api_secret)
    with http_client(timeout) as client:
        for index, candidate in enumerate(candidates):
            base_url = check_base_url(candidate)
            url = base_url + dialect.probe_path
            if index == 0:
                answer = _first_answer(client, url, dialect.probe_params, headers, wait)
            else:
                try:
                    answer = _get(client, url, dialect.probe_params, headers)
                except httpx.HTTPError as exc:
                    raise transport_error(exc, url, timeout) from None
            if answer.status == 401:
                what = "key and secret" if dialect.needs_secret else "API key"
                flags = "--api-key and --api-secret" if dialect.needs_secret else "--api-key"
                raise TargetRejectedKey(
                    f"the target refused the {what} (GET {url} answered 401): check {flags}"
                )
            why = _not_the_api(answer)
            if why is not None:
                refused.append(f"GET {url} answered {why}")
                continue
            request = client.build_request("GET", url, params=dialect.probe_params, headers=headers)
            curl = curl_command("GET", str(request.url), request.headers, None, secrets or {})
            exchange = TargetExchange(
                "GET", dialect.probe_path, answer.status, answer.headers, answer.content, curl, answer.cut
            )
            parts = urlsplit(base_url)
            origin = f"{parts.scheme}://{parts.netloc}"
            clock = _sandbox_clock(origin, timeout)
            return TargetInfo(base_url, origin, clock is not None, clock or None, exchange)
    raise TargetNotApi(f"{'; '.join(refused)}: not {dialect.api}; {dialect.base_path_hint}")


def _sandbox_clock(origin: str, timeout: float) -> str | None:
    """The sandbox's clock mode ("" when it does not say); None when the target is not the sandbox."""
    try:
        with http_client(min(timeout, 5.0)) as client:
            answer = _get(client, origin + MOCK_HEALTH, {}, {})
    except httpx.HTTPError:
        return None
    body = answer.json()
    if answer.status != 200 or not isinstance(body, dict) or body.get("status") != "ok":
        return None
    clock = body.get("clock")
    mode = clock.get("mode") if isinstance(clock, dict) else None
    return mode if isinstance(mode, str) else ""


def advance_sandbox_clock(origin: str, seconds: float, timeout: float) -> str | None:
    """Move a manual-clock sandbox forward (every call falling due runs); None, or why it could not."""
    try:
        with http_client(timeout) as client:
            request = client.build_request("POST", origin + MOCK_CLOCK_ADVANCE, json={"seconds": seconds})
            answer = fetch(client, request, timeout)
    except httpx.HTTPError as exc:
        return f"POST {MOCK_CLOCK_ADVANCE} failed: {exc}"
    if answer.status != 200:
        return f"POST {MOCK_CLOCK_ADVANCE} answered {answer.status} (an --admin-token sandbox?)"
    return None


def sandbox_workspace(origin: str, timeout: float) -> dict[str, Any] | None:
    """A new workspace from the sandbox's control API (its keys, per API), or None when it refuses."""
    try:
        with http_client(timeout) as client:
            answer = fetch(client, client.build_request("POST", origin + "/_mock/workspaces"), timeout)
    except httpx.HTTPError:
        return None
    body = answer.json() if answer.status == 201 else None
    return body if isinstance(body, dict) else None
