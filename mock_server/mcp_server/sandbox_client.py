"""The sandbox over HTTP, as the tools see it: a request with credentials, an answer or a failure.

The client is an `httpx.AsyncClient`: on a real socket for `batchcalls-mock mcp`, or an ASGI
transport into the sandbox's own app for `/_mock/mcp` (the same stack a remote request goes through,
without the network). Credentials are request headers; a tool call may name other ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

# the headers that say who calls: forwarded from an MCP request over HTTP to every call it makes
CREDENTIAL_HEADERS = ("authorization", "x-api-key", "x-api-secret", "x-mock-admin-token")
# and what the sandbox's own checks of a request's origin read (the Host and Origin it was sent with)
FORWARDED_HEADERS = (*CREDENTIAL_HEADERS, "host", "origin")


class ToolFailure(Exception):
    """A call the sandbox refused (or could not answer): its error code, message and answer."""

    def __init__(self, code: str, message: str, status: int | None = None, body: Any = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.body = body


@dataclass(frozen=True, slots=True)
class Credentials:
    """Who the tools act as: the headers of each call (a Bearer key, a Zudu pair, the admin token)."""

    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        *,
        api_key: str | None = None,
        zudu_key: str | None = None,
        zudu_secret: str | None = None,
        admin_token: str | None = None,
    ) -> Credentials:
        headers: dict[str, str] = {}
        if api_key:
            headers["authorization"] = f"Bearer {api_key}"
        if zudu_key:
            headers["x-api-key"] = zudu_key
            headers["x-api-secret"] = zudu_secret or ""
        if admin_token:
            headers["x-mock-admin-token"] = admin_token
        return cls(headers)

    @classmethod
    def forwarded(cls, headers: Mapping[str, str]) -> Credentials:
        """The credentials (and Host and Origin) of an HTTP request, to be sent on as they came."""
        return cls({name: headers[name] for name in FORWARDED_HEADERS if name in headers})

    def naming(self, arguments: Mapping[str, Any]) -> Credentials:
        """These credentials, with the workspace a tool call names (`api_key`, or `zudu_key` and
        `zudu_secret`) in place of the workspace ones; the admin token, Host and Origin stay."""
        api_key, zudu_key = arguments.get("api_key"), arguments.get("zudu_key")
        if not api_key and not zudu_key:
            return self
        kept = {
            k: v for k, v in self.headers.items() if k not in ("authorization", "x-api-key", "x-api-secret")
        }
        named = Credentials.of(api_key=api_key, zudu_key=zudu_key, zudu_secret=arguments.get("zudu_secret"))
        return Credentials({**kept, **named.headers})


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: httpx.Headers
    content: bytes

    def json(self) -> Any:
        return orjson.loads(self.content) if self.content else None

    @property
    def is_json(self) -> bool:
        return "json" in self.headers.get("content-type", "")


def failure_of(answer: Answer, shown: Any = None) -> ToolFailure:
    """A refused call as a tool failure: the code and message of its envelope, whichever API's
    (`{error: {code, message}}`; a Truedy validation 422 `{detail: [...]}`; Zudu's `{message}`),
    carrying `shown` (by default the answer's body) for the assistant to read."""
    failure = _failure_of(answer)
    return ToolFailure(failure.code, failure.message, answer.status, failure.body if shown is None else shown)


def _failure_of(answer: Answer) -> ToolFailure:
    body: Any = None
    try:
        body = answer.json() if answer.is_json else None
    except orjson.JSONDecodeError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and "code" in error:
        return ToolFailure(str(error["code"]), str(error.get("message", "")), answer.status, body)
    if isinstance(body, dict) and isinstance(body.get("detail"), list):
        found = "; ".join(
            f"{'.'.join(map(str, v.get('loc', [])))}: {v.get('msg')}" for v in body["detail"][:5]
        )
        return ToolFailure("validation_error", found, answer.status, body)
    if isinstance(body, dict) and "message" in body:
        return ToolFailure(
            str(body.get("error") or f"http_{answer.status}"), str(body["message"]), answer.status, body
        )
    text = answer.content[:300].decode("utf-8", "replace")
    return ToolFailure(f"http_{answer.status}", text or "no body", answer.status, None)


class SandboxClient:
    """Requests to one sandbox with given credentials; a transport failure is a `ToolFailure`."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def send(
        self,
        credentials: Credentials,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        has_body: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        sent = {**credentials.headers, **(headers or {})}
        content = None
        if has_body:
            content = orjson.dumps(body)
            sent["content-type"] = "application/json"
        try:
            response = await self.client.request(
                method, path, params=_query(query or {}), content=content, headers=sent
            )
        except httpx.HTTPError as exc:
            raise ToolFailure(
                "sandbox_unreachable", f"{method} {path}: {exc or type(exc).__name__}"
            ) from None
        return Answer(response.status_code, response.headers, response.content)

    async def aclose(self) -> None:
        await self.client.aclose()


def _query(values: Mapping[str, Any]) -> dict[str, str]:
    """Query values as the sandbox reads them: booleans as `true`/`false`, absent ones left out."""
    return {
        name: ("true" if value else "false") if isinstance(value, bool) else str(value)
        for name, value in values.items()
        if value is not None
    }
