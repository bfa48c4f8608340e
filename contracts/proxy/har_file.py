"""`proxy --har FILE`: every exchange the proxy forwards, written to a HAR 1.2 file as it is checked
(in arrival order, on the checking thread), for `batchcalls-contract diff OLD NEW --traffic FILE`.

Bounded: the file stops growing at `max_bytes` (the entries past it are counted, not written; the
file stays a whole HAR document), and each body is the copy the checks keep (up to 1 MiB; a larger
one is left out, `_body_omitted` says so). Credentials are written as the reproductions write them:
`Authorization: Bearer $BATCHCALLS_API_KEY`, credential query parameters likewise; then whatever
the sandbox's journal hides (`contracts/redaction.py`: credential fields of JSON bodies, in any
spelling, and credential parameters of every URL) is hidden the same way. A body that is not JSON is
written as sent. A file that cannot be written stops the recording, never the proxy.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import orjson

from contracts import __version__, redaction
from contracts.curl import Redaction, redact_header, redact_url
from contracts.har import HAR_FILE_MAX_BYTES, HarError, HarWriter, RecordedExchange

CREATOR = "batchcalls-contract proxy"


class HarRecording:
    def __init__(self, path: Path, redaction: Redaction, max_bytes: int = HAR_FILE_MAX_BYTES) -> None:
        self.path = path
        self.redaction = redaction
        self.error: str | None = None
        self._lock = threading.Lock()
        self._writer = HarWriter(path, CREATOR, __version__, max_bytes)
        self._open = True

    def _headers(self, headers: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
        return tuple((name, redact_header(name, value, self.redaction)) for name, value in headers)

    def record(
        self,
        method: str,
        url: str,
        request_headers: Iterable[tuple[str, str]],
        request_body: bytes | None,
        status: int,
        response_headers: Iterable[tuple[str, str]],
        response_body: bytes | None,
        elapsed_ms: float,
    ) -> None:
        """One exchange (`None` bodies: too large to keep); a write error ends the recording."""
        bodies = (("request", request_body), ("response", response_body))
        omitted = [side for side, body in bodies if body is None]
        exchange = RecordedExchange(
            method=method,
            url=redaction.redact_url(redact_url(url, self.redaction)),
            request_headers=self._headers(request_headers),
            request_body=_redacted(request_body) or None,
            status=status,
            response_headers=self._headers(response_headers),
            response_body=_redacted(response_body),
            started=datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            time_ms=round(elapsed_ms, 3),
        )
        with self._lock:
            if not self._open:
                return
            try:
                self._writer.add(exchange, **({"_body_omitted": omitted} if omitted else {}))
            except HarError as exc:
                self.error = str(exc)
                self._close()

    def _close(self) -> None:
        if self._open:
            self._open = False
            try:
                self._writer.close()
            except HarError as exc:
                self.error = self.error or str(exc)

    def close(self) -> None:
        with self._lock:
            self._close()

    def summary(self) -> str:
        """One line for the console when the proxy stops."""
        with self._lock:
            written, skipped = self._writer.count, self._writer.skipped
        line = f"har: {self.path} ({written} exchanges"
        if skipped:
            line += f"; {skipped} more not written: the file reached --har-max-bytes"
        return line + ")" + (f"; recording stopped: {self.error}" if self.error else "")


def _redacted(body: bytes | None) -> bytes | None:
    """A JSON body with its credential fields hidden (as the sandbox's journal hides them); any
    other body as it is."""
    if not body:
        return body
    try:
        value = orjson.loads(body)
        shown = redaction.redacted(value)
    except orjson.JSONDecodeError:
        return body
    except RecursionError:  # too deep to walk: its credentials cannot be hidden
        return b"(not kept: JSON nested too deeply for its credentials to be redacted)"
    return body if shown is value else orjson.dumps(shown)
