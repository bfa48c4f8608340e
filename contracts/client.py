"""The rules suite's HTTP client: every exchange is kept as a curl command and shown to observers.

How it authenticates is the profile's (`auth`, handed in): the client sends a key, and a secret
where the API has one, in whatever headers that function returns.

Paths are built from what the target answered (ids): whatever an id holds (a newline, `?`, `/`,
`..`, a number), it is sent percent-encoded in its place, and a path longer than MAX_PATH is not
sent at all (a finding: no client could use such an id). Answers are read within the bounds of
`target.fetch`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from contracts.curl import curl_command, secret_variables
from contracts.errors import RuleViolation
from contracts.exchange import TargetExchange
from contracts.target import fetch, http_client, transport_error

MAX_PATH = 8192  # characters of a path the kit sends (ids come from the target; servers refuse more)
# what stays as it is in a path: "/" between segments, RFC 3986's unreserved and sub-delims, ":" "@"
PATH_SAFE = "/-._~!$&'()*+,;=:@"


def safe_path(path: str) -> str:
    """`path` with every character that is not plain in a URL path percent-encoded (ids the target
    chose may hold anything); raises RuleViolation when it is too long to send."""
    encoded = quote(path, safe=PATH_SAFE)
    # a segment of dots is one an id made (no path of the specs has one): sent as such, the HTTP
    # client would resolve it (`/batch-calls/..` is `/`), and the request would reach another operation
    encoded = "/".join("%2E" * len(part) if part in (".", "..") else part for part in encoded.split("/"))
    if len(encoded) > MAX_PATH:
        raise RuleViolation(
            f"the path {encoded[:80]}… is {len(encoded)} characters long: an id the target answered "
            f"cannot be sent back (the kit sends no path over {MAX_PATH} characters)"
        )
    return encoded


class _Default:
    pass


DEFAULT_KEY = _Default()


ExchangeObserver = Callable[[TargetExchange], None]  # shown every exchange (the checks of a suite)
# (key, secret) -> the headers that carry them; None leaves that header out (the 401 rules)
AuthHeaders = Callable[[str | None, str | None], dict[str, str]]


class ApiClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        timeout: float,
        other_api_key: str | None = None,
        *,
        api_secret: str | None = None,
        other_api_secret: str | None = None,
        auth: AuthHeaders,
    ) -> None:
        self.base_url = base_url
        self.api_key = api_key
        self.api_secret = api_secret
        self.other_api_key = other_api_key
        self.timeout = timeout
        self.auth = auth
        self.observers: list[ExchangeObserver] = []
        self.secrets = secret_variables(api_key, api_secret, other_api_key, other_api_secret)
        self._http = http_client(timeout)

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        key: str | None | _Default = DEFAULT_KEY,
        secret: str | None | _Default = DEFAULT_KEY,
    ) -> TargetExchange:
        """`key` and `secret`: the workspace's by default; None leaves that header out."""
        api_key = self.api_key if isinstance(key, _Default) else key
        api_secret = self.api_secret if isinstance(secret, _Default) else secret
        sent = {**(headers or {}), **self.auth(api_key, api_secret)}
        request = self._http.build_request(
            method, self.base_url + safe_path(path), json=json, content=content, headers=sent, params=params
        )
        curl = curl_command(method, str(request.url), request.headers, request.content, self.secrets)
        try:
            answer = fetch(self._http, request, self.timeout)
        except httpx.HTTPError as exc:
            raise transport_error(exc, str(request.url), self.timeout) from None
        exchange = TargetExchange(
            method=method,
            path=request.url.raw_path.decode("ascii", "replace").removeprefix(
                httpx.URL(self.base_url).raw_path.decode("ascii", "replace").rstrip("/")
            ),
            status=answer.status,
            headers=answer.headers,
            content=answer.content,
            curl=curl,
            cut=answer.cut,
        )
        for observe in self.observers:
            observe(exchange)
        return exchange

    def get(self, path: str, **kwargs: Any) -> TargetExchange:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TargetExchange:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> TargetExchange:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TargetExchange:
        return self.request("DELETE", path, **kwargs)
