"""HAR 1.2 (HTTP Archive) files: recorded exchanges, read as a stream and written as one.

The subset read (every other field is ignored): `log.entries[]`, each with
`request.method`, `request.url` (absolute; its query string is the one used, not `queryString`),
`request.headers[]` (`name`, `value`), `request.postData.mimeType` and `.text` (`_encoding: base64`
or `encoding: base64` for a body that is not text), `response.status` (0: no answer, as browsers
record an aborted request), `response.headers[]`, `response.content.mimeType`, `.text` and
`.encoding`, and `startedDateTime`. Entries are read one at a time (ijson), so a file of any length
costs the memory of its largest entry. `write_har` writes the same subset, with the fields HAR 1.2
requires, one entry at a time.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl, urlsplit

import ijson
import orjson

from contracts.errors import UsageError

Headers = tuple[tuple[str, str], ...]


# the bound of a HAR file the proxy writes (`--har-max-bytes`): past it exchanges are counted, not written
HAR_FILE_MAX_BYTES = 512 * 1024 * 1024

class HarError(UsageError):
    """A HAR file cannot be read or written; the message names the file and, if one, the entry."""


@dataclass(frozen=True, slots=True)
class RecordedExchange:
    method: str
    url: str  # absolute
    request_headers: Headers = ()
    request_body: bytes | None = None
    request_media_type: str | None = None
    status: int = 0  # 0: no answer was recorded
    response_headers: Headers = ()
    response_body: bytes | None = None
    response_media_type: str | None = None
    started: str = ""  # ISO 8601, as HAR's startedDateTime
    time_ms: float = 0.0


def read_har(path: Path) -> Iterator[RecordedExchange]:
    """Every entry of the file, in order. HarError names the file (and the entry) when it is not HAR."""
    count = 0
    try:
        with path.open("rb") as file:
            for index, entry in enumerate(ijson.items(file, "log.entries.item", use_float=True)):
                yield _exchange(entry, path, index)
                count += 1
            if count == 0:
                file.seek(0)
                _require_entries(file, path)
    except OSError as exc:
        raise HarError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ijson.JSONError as exc:
        first = (str(exc).splitlines() or [""])[0][:120]
        raise HarError(f"{path} is not a HAR file: it is not JSON ({first})") from None


def _require_entries(file: IO[bytes], path: Path) -> None:
    for prefix, event, _ in ijson.parse(file):
        if prefix == "log.entries" and event == "start_array":
            return
    raise HarError(f"{path} is not a HAR file: it has no log.entries")


def _headers(raw: Any, where: str) -> Headers:
    if raw is None:
        return ()
    try:
        return tuple([(str(h["name"]), str(h["value"])) for h in raw])
    except (TypeError, KeyError):
        raise ValueError(f"{where} is not a list of {{name, value}}") from None


def _body(holder: Any, where: str) -> tuple[bytes | None, str | None]:
    if not isinstance(holder, dict):
        return None, None
    found = holder.get("mimeType")
    media = found if isinstance(found, str) and found else None
    text = holder.get("text")
    if not isinstance(text, str):
        return None, media
    if holder.get("encoding") == "base64" or holder.get("_encoding") == "base64":
        try:
            return base64.b64decode(text, validate=True), media
        except binascii.Error:
            raise ValueError(f"{where}.text is not base64") from None
    return text.encode("utf-8", "surrogatepass"), media


def _exchange(entry: Any, path: Path, index: int) -> RecordedExchange:
    try:
        if not isinstance(entry, dict):
            raise ValueError("it is not an object")
        request, response = entry.get("request"), entry.get("response") or {}
        if not isinstance(request, dict) or not isinstance(request.get("method"), str):
            raise ValueError("request.method is missing")
        url = request.get("url")
        if not isinstance(url, str) or not urlsplit(url).scheme:
            raise ValueError("request.url is missing or not absolute")
        if not isinstance(response, dict):
            raise ValueError("response is not an object")
        status = response.get("status", 0)
        if not isinstance(status, int | float) or isinstance(status, bool):
            raise ValueError("response.status is not a number")
        request_body, request_media = _body(request.get("postData"), "request.postData")
        response_body, response_media = _body(response.get("content"), "response.content")
        started = entry.get("startedDateTime")
        elapsed = entry.get("time")
        return RecordedExchange(
            method=request["method"].upper(),
            url=url,
            request_headers=_headers(request.get("headers"), "request.headers"),
            request_body=request_body,
            request_media_type=request_media,
            status=int(status),
            response_headers=_headers(response.get("headers"), "response.headers"),
            response_body=response_body,
            response_media_type=response_media,
            started=started if isinstance(started, str) else "",
            time_ms=float(elapsed)
            if isinstance(elapsed, int | float) and not isinstance(elapsed, bool)
            else 0.0,
        )
    except ValueError as exc:
        raise HarError(f"{path}: entry {index} cannot be read: {exc}") from None


def _header(headers: Headers, name: str) -> str | None:
    return next((v for n, v in headers if n.lower() == name), None)


def _content(body: bytes | None, media: str | None) -> dict[str, Any]:
    content: dict[str, Any] = {"size": len(body or b""), "mimeType": media or ""}
    if body:
        try:
            content["text"] = body.decode("utf-8")
        except UnicodeDecodeError:
            content["text"], content["encoding"] = base64.b64encode(body).decode("ascii"), "base64"
    return content


def har_entry(exchange: RecordedExchange) -> dict[str, Any]:
    """One HAR 1.2 entry, with every field the format requires."""
    split = urlsplit(exchange.url)
    request: dict[str, Any] = {
        "method": exchange.method,
        "url": exchange.url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": [{"name": n, "value": v} for n, v in exchange.request_headers],
        "queryString": [{"name": n, "value": v} for n, v in parse_qsl(split.query, keep_blank_values=True)],
        "headersSize": -1,
        "bodySize": len(exchange.request_body or b""),
    }
    if exchange.request_body is not None:
        media = exchange.request_media_type or _header(exchange.request_headers, "content-type") or ""
        post = _content(exchange.request_body, media)
        request["postData"] = {"mimeType": post["mimeType"], "params": [], "text": post.get("text", "")}
        if "encoding" in post:
            request["postData"]["_encoding"] = "base64"
    media = exchange.response_media_type or _header(exchange.response_headers, "content-type") or ""
    return {
        "startedDateTime": exchange.started or datetime.now(UTC).isoformat(),
        "time": exchange.time_ms,
        "request": request,
        "response": {
            "status": exchange.status,
            "statusText": "",
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [{"name": n, "value": v} for n, v in exchange.response_headers],
            "content": _content(exchange.response_body, media),
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": len(exchange.response_body or b""),
        },
        "cache": {},
        "timings": {"send": 0, "wait": exchange.time_ms, "receive": 0},
    }


def _head(creator: str, version: str) -> dict[str, Any]:
    return {"version": "1.2", "creator": {"name": creator, "version": version}}


def har_log(entries: list[dict[str, Any]], creator: str, version: str, **extra: Any) -> dict[str, Any]:
    """A whole HAR 1.2 document of `entries` (from `har_entry`); `extra`: fields of `log` of one's
    own (HAR 1.2 wants their names to start with `_`)."""
    return {"log": {**_head(creator, version), **extra, "entries": entries}}


_TAIL = b"\n]}}\n"


class HarWriter:
    """A HAR 1.2 file written entry by entry as exchanges come (memory: one entry); `close` ends it.
    With `max_bytes`, an entry that would take the file past it is not written (`skipped` counts
    them) and the file stays a whole HAR document. HarError names the file when it cannot be written."""

    def __init__(self, path: Path, creator: str, version: str, max_bytes: int | None = None) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.count = 0
        self.skipped = 0
        self.bytes = 0
        try:
            self._file: IO[bytes] = path.open("wb")
            self._write(b'{"log": ' + orjson.dumps(_head(creator, version))[:-1] + b', "entries": [\n')
        except OSError as exc:
            raise HarError(f"cannot write {path}: {exc.strerror or exc}") from None

    def _write(self, chunk: bytes) -> None:
        self._file.write(chunk)
        self.bytes += len(chunk)

    def add(self, exchange: RecordedExchange, **extra: Any) -> bool:
        """Writes one entry (`extra`: fields of its own, named `_…`); False: not written, the file
        would pass `max_bytes`."""
        return self.add_entry({**har_entry(exchange), **extra})

    def add_entry(self, entry: Mapping[str, Any]) -> bool:
        """Writes an entry already in HAR's shape (one read from another HAR document), as `add`."""
        chunk = (b",\n" if self.count else b"") + orjson.dumps(entry)
        if self.max_bytes is not None and self.bytes + len(chunk) + len(_TAIL) > self.max_bytes:
            self.skipped += 1
            return False
        try:
            self._write(chunk)
        except OSError as exc:
            raise HarError(f"cannot write {self.path}: {exc.strerror or exc}") from None
        self.count += 1
        return True

    def close(self) -> None:
        try:
            with self._file:
                self._write(_TAIL)
        except OSError as exc:
            raise HarError(f"cannot write {self.path}: {exc.strerror or exc}") from None


def write_har(path: Path, exchanges: Iterable[RecordedExchange], creator: str, version: str) -> int:
    """Writes a HAR 1.2 file entry by entry (memory: one entry); returns how many were written."""
    writer = HarWriter(path, creator, version)
    try:
        for exchange in exchanges:
            writer.add(exchange)
    finally:
        writer.close()
    return writer.count
