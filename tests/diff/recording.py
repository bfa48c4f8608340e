"""An exchange with the sandbox (a Starlette TestClient's response) as a HAR entry would record it.
Used by tests/contracts/evolution/test_traffic.py and benchmarks/diff.py."""

from __future__ import annotations

from typing import Any

from contracts.har import RecordedExchange


def recorded(response: Any, started: str) -> RecordedExchange:
    request = response.request
    return RecordedExchange(
        method=request.method,
        url=str(request.url),
        request_headers=tuple(request.headers.multi_items()),
        request_body=request.content or None,
        request_media_type=request.headers.get("content-type"),
        status=response.status_code,
        response_headers=tuple(response.headers.multi_items()),
        response_body=response.content or None,
        response_media_type=response.headers.get("content-type"),
        started=started,
    )
