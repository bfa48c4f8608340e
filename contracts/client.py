"""The rules suite's HTTP client: every exchange is kept as a curl command and shown to observers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from contracts.checks import parse_json
from contracts.curl import API_KEY_ENV, API_SECRET_ENV, OTHER_API_KEY_ENV, OTHER_API_SECRET_ENV, curl_command
from contracts.dialects import TRUEDY, KitDialect
from contracts.target import transport_error


class _Default:
    pass


DEFAULT_KEY = _Default()


@dataclass(frozen=True, slots=True)
class Exchange:
    method: str
    path: str  # relative to the base URL
    status: int
    headers: Mapping[str, str]  # lower-case names
    content: bytes
    curl: str

    @property
    def body(self) -> Any:
        return parse_json(self.content)

    @property
    def data(self) -> Any:
        body = self.body
        return body.get("data") if isinstance(body, dict) else None

    @property
    def error_code(self) -> str | None:
        body = self.body
        error = body.get("error") if isinstance(body, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        return code if isinstance(code, str) else None

    @property
    def error_sentence(self) -> str | None:
        """Zudu's `error` (one sentence), when the body has one."""
        body = self.body
        error = body.get("error") if isinstance(body, dict) else None
        return error if isinstance(error, str) else None

    def describe(self) -> str:
        """`METHOD path -> status code` for messages."""
        code = f" {self.error_code}" if self.error_code else ""
        if not code and self.error_sentence:
            code = f" ({self.error_sentence[:120]!r})"
        elif not code and self.status >= 400:
            code = " (with no error.code in the body)"
        return f"{self.method} {self.path} answered {self.status}{code}"


Observer = Callable[[Exchange], None]


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
        dialect: KitDialect = TRUEDY,
    ) -> None:
        self.base_url = base_url
        self.api_key = api_key
        self.api_secret = api_secret
        self.other_api_key = other_api_key
        self.timeout = timeout
        self.dialect = dialect
        self.observers: list[Observer] = []
        self.secrets = {api_key: API_KEY_ENV}
        if api_secret:
            self.secrets[api_secret] = API_SECRET_ENV
        if other_api_key:
            self.secrets[other_api_key] = OTHER_API_KEY_ENV
        if other_api_secret:
            self.secrets[other_api_secret] = OTHER_API_SECRET_ENV
        self._http = httpx.Client(timeout=timeout)

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
    ) -> Exchange:
        """`key` (and Zudu's `secret`): the workspace's by default; None leaves that header out."""
        api_key = self.api_key if isinstance(key, _Default) else key
        api_secret = self.api_secret if isinstance(secret, _Default) else secret
        sent = {**(headers or {}), **self.dialect.auth_headers(api_key, api_secret)}
        request = self._http.build_request(
            method, self.base_url + path, json=json, content=content, headers=sent, params=params
        )
        curl = curl_command(method, str(request.url), request.headers, request.content, self.secrets)
        try:
            response = self._http.send(request)
        except httpx.HTTPError as exc:
            raise transport_error(exc, str(request.url), self.timeout) from None
        exchange = Exchange(
            method=method,
            path=request.url.raw_path.decode("ascii", "replace").removeprefix(
                httpx.URL(self.base_url).raw_path.decode("ascii", "replace").rstrip("/")
            ),
            status=response.status_code,
            headers={k.lower(): v for k, v in response.headers.items()},
            content=response.content,
            curl=curl,
        )
        for observe in self.observers:
            observe(exchange)
        return exchange

    def get(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("DELETE", path, **kwargs)
