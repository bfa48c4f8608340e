"""The request journal as HAR 1.2 (`GET /_mock/requests?format=har`), for the tools that replay
recorded traffic (`batchcalls-contract diff --traffic`, `batchcalls-mock impact`).

Each entry is read through `entry_json`, the JSON list's own reader, so the HAR shows exactly what
the list shows (the same filters, page and redaction), and written by the kit's HAR writer
(`contracts.har.har_entry`), the one that `diff --traffic` reads back. Pure: values in, values out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from contracts.har import RecordedExchange, har_entry, har_log
from mock_server import __version__

CREATOR = "batchcalls-mock"


def _bytes(body: Any) -> bytes | None:
    """A body as the journal shows it (JSON, text, None) back as bytes."""
    if body is None:
        return None
    if isinstance(body, str):
        return body.encode("utf-8", "surrogatepass")
    return orjson.dumps(body)


def _media(headers: Mapping[str, str]) -> str | None:
    return headers.get("content-type")


def recorded(entry: Mapping[str, Any], origin: str) -> RecordedExchange:
    """One journal entry (as `entry_json` shows it) as a recorded exchange; its URL is `origin`
    (the sandbox as the reader reached it) and the path and query the request was sent with."""
    query = entry["query"]
    request_headers: Mapping[str, str] = entry["request_headers"]
    response_headers: Mapping[str, str] = entry["response_headers"]
    return RecordedExchange(
        method=entry["method"],
        url=origin + entry["path"] + (f"?{query}" if query else ""),
        request_headers=tuple(request_headers.items()),
        request_body=_bytes(entry["request_body"]),
        request_media_type=_media(request_headers),
        status=entry["status"],
        response_headers=tuple(response_headers.items()),
        response_body=_bytes(entry["response_body"]),
        response_media_type=_media(response_headers),
        started=entry["received_at"],
        time_ms=entry["duration_ms"],
    )


def har_page_entry(entry: Mapping[str, Any], origin: str) -> orjson.Fragment:
    """One journal entry (as `entry_json` shows it) as a HAR entry, encoded (a turn's work of a
    page: `har_page` only gathers them); it names its request, workspace and operation
    (`_request_id`…)."""
    shown = har_entry(recorded(entry, origin))
    shown["_request_id"] = entry["request_id"]
    shown["_workspace_id"] = entry["workspace_id"]
    shown["_operation_id"] = entry["operation_id"]
    return orjson.Fragment(orjson.dumps(shown))


def har_page(entries: Iterable[orjson.Fragment], total: int, dropped: int) -> dict[str, Any]:
    """A page of HAR entries (newest first, as the list pages them) as one HAR 1.2 document, oldest
    first as HAR lists them; `log._total` and `log._dropped` are the list's `total` and `dropped`."""
    found: list[Any] = list(entries)
    found.reverse()
    return har_log(found, CREATOR, __version__, _total=total, _dropped=dropped)
