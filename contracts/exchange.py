"""`TargetExchange`: one request to the target and its answer, as every check of the kit sees it
(the rules suite's client, the probe, the Schemathesis suites and the proxy all build these).

It reads a body by its JSON shape only (a `data` member, an `error` object with a `code`, or an
`error` sentence), never by which API answered: what an API's envelopes must look like is its
profile's checks' business (`contracts.dialects`)."""

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
class TargetExchange:
    """A request the kit sent or saw, and the target's answer."""

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
        """`error.code`, when the body's `error` is an object with a string code."""
        body = self.body
        error = body.get("error") if isinstance(body, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        return code if isinstance(code, str) else None

    @property
    def error_sentence(self) -> str | None:
        """The body's `error`, when it is a sentence rather than an object."""
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
