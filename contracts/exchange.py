"""One request and its answer, as every check of the kit sees it (the rules suite's client, the
probe, the Schemathesis suites and the proxy all build these)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson


def parse_json(content: bytes) -> Any:
    """The body as JSON, or None when there is none or it is not JSON."""
    if not content:
        return None
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return None


@dataclass(frozen=True, slots=True)
class Exchange:
    method: str
    path: str  # relative to the base URL
    status: int
    headers: Mapping[str, str]  # of the answer, lower-case names
    content: bytes
    curl: str = ""  # the request as a curl command (keys as environment variables)
    cut: str = ""  # why the body is not whole (too large, too slow, badly encoded); "" when it is

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
