"""Read the bytes of a document named by a path or an http(s) URL, within a size and a time bound.

Every document is named by an absolute URI (`file:///…` or `https://…`), so that a relative `$ref`
resolves against the document that holds it, the way `urljoin` reads it.
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urldefrag, urlsplit
from urllib.request import url2pathname

import httpx

from contracts.evolution.errors import DocumentError

MAX_REDIRECTS = 5


def to_uri(given: str) -> str:
    """The absolute URI of a command-line argument: an http(s) URL as it is, else a local path."""
    if urlsplit(given).scheme in ("http", "https"):
        return urldefrag(given).url
    return Path(given).expanduser().resolve().as_uri()


def is_remote(uri: str) -> bool:
    return urlsplit(uri).scheme in ("http", "https")


def same_origin(first: str, second: str) -> bool:
    a, b = urlsplit(first), urlsplit(second)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def local_path(uri: str) -> Path:
    return Path(url2pathname(urlsplit(uri).path))


def read_bytes(uri: str, name: str, max_bytes: int, timeout: float) -> bytes:
    """At most `max_bytes` of the document; more is a DocumentError, as is a timeout or an HTTP error."""
    if is_remote(uri):
        return _fetch(uri, name, max_bytes, timeout)
    if urlsplit(uri).scheme != "file":
        raise DocumentError(f"{name}: only files and http(s) URLs can be read")
    path = local_path(uri)
    try:
        if path.is_dir():
            raise DocumentError(f"{name} is a directory, not a document")
        with path.open("rb") as file:
            data = file.read(max_bytes + 1)
    except OSError as exc:
        raise DocumentError(f"cannot read {name}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise DocumentError(f"{name} is larger than {_size(max_bytes)} (raise --max-size to compare it)")
    return data


def _fetch(url: str, name: str, max_bytes: int, timeout: float) -> bytes:
    # httpx's timeouts bound each read; the deadline bounds the whole transfer (a server that sends
    # one byte at a time never trips a read timeout)
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    size = 0
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=MAX_REDIRECTS) as client:
            with client.stream(
                "GET", url, headers={"Accept": "application/json, application/yaml"}
            ) as answer:
                if answer.status_code != 200:
                    raise DocumentError(f"GET {name} answered {answer.status_code}, not the document")
                for chunk in answer.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise DocumentError(
                            f"{name} is larger than {_size(max_bytes)} (raise --max-size to compare it)"
                        )
                    if time.monotonic() > deadline:
                        raise httpx.ReadTimeout("deadline")
                    chunks.append(chunk)
    except httpx.TimeoutException:
        raise DocumentError(f"{name} did not arrive within {timeout:g} s (see --timeout)") from None
    except httpx.TooManyRedirects:
        raise DocumentError(f"{name} redirects more than {MAX_REDIRECTS} times") from None
    except httpx.HTTPError as exc:
        raise DocumentError(f"cannot fetch {name}: {type(exc).__name__} {exc}".rstrip()) from None
    return b"".join(chunks)


def _size(count: int) -> str:
    return f"{count / 2**20:g} MiB"
