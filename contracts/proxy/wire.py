"""What the proxy forwards, and its limits: pure rules about request targets, headers and copies.

- The request target: an origin-form path of visible ASCII (what HTTP allows), or `*` for OPTIONS;
  anything else (absolute-form and authority-form are taken apart by the HTTP parser, but another
  parser may hand them over) is a 400, never a traceback, and never a request to another host.
- Headers: everything the client sent and everything the target answered, in order and as they
  were, but the hop-by-hop headers of RFC 9110 §7.6.1 (Connection, the headers it names, and the
  fields of one connection: Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade,
  Proxy-Authenticate, Proxy-Authorization) and Host, which names the target. A header of the
  target's answer that HTTP forbids on the wire (a name that is not a token, a control character
  in a value) is not relayed: uvicorn would drop the client's connection instead.
- Copies: what the checks see of a body is at most KEEP_LIMIT bytes of it, out of a budget shared by
  every exchange in flight or waiting for the checker (COPY_BUDGET), so that many large exchanges at
  once cost at most that much memory; past either bound the exchange passes, unchecked. What the
  checks see of a kept body is it decoded (`decoded_for_checks`), or why it is not checked.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from contracts.body import BoundedBody, Cut

KEEP_LIMIT = 1024 * 1024  # bytes of a body kept for the checks; larger ones pass but are not checked
COPY_BUDGET = 128 * 1024 * 1024  # bytes of copies held at once, for every exchange together
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"host",
    }
)
Headers = list[tuple[bytes, bytes]]


def end_to_end(headers: Headers) -> Headers:
    """`headers` without the hop-by-hop ones (those Connection names too), order and case kept."""
    named = {
        token.strip().lower()
        for name, value in headers
        if name.lower() == b"connection"
        for token in value.split(b",")
    }
    return [(name, value) for name, value in headers if name.lower() not in HOP_BY_HOP | named]


# what uvicorn refuses to send (it drops the client's connection): a name that is not a token, a
# value with a control character other than tab
_NOT_A_TOKEN = re.compile(rb"[^!#$%&'*+\-.^_`|~0-9A-Za-z]")
_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


def sendable(headers: Headers) -> Headers:
    """`headers` without those HTTP forbids on the wire (a target may send them; they are not relayed)."""
    return [(n, v) for n, v in headers if n and not _NOT_A_TOKEN.search(n) and not _CONTROL.search(v)]


def has_body(headers: Headers) -> bool:
    """Whether the request has a body to forward (HTTP/1.1: it says so by Content-Length or
    Transfer-Encoding; without either it has none, and none is forwarded)."""
    return any(name.lower() in (b"content-length", b"transfer-encoding") for name, _ in headers)


def target_problem(method: str, raw_path: bytes) -> str | None:
    """Why the request target cannot be forwarded; None when it can."""
    if raw_path == b"*":
        return None if method == "OPTIONS" else f"the request target * is for OPTIONS only, not {method}"
    if not raw_path.startswith(b"/"):
        return "the request target must be a path (origin-form): this proxy forwards to its --target only"
    if any(byte <= 0x20 or byte >= 0x7F for byte in raw_path):
        return "the request target must be visible ASCII (percent-encode anything else)"
    return None


class CopyBudget:
    """Bytes of body copies held at once; taken while forwarding, given back once checked."""

    def __init__(self, total: int = COPY_BUDGET) -> None:
        self.left = total
        self.lock = threading.Lock()  # given back from the checking thread

    def take(self, size: int) -> bool:
        with self.lock:
            if size > self.left:
                return False
            self.left -= size
            return True

    def give_back(self, size: int) -> None:
        with self.lock:
            self.left += size


@dataclass
class Copy:
    """The first KEEP_LIMIT bytes of a body, while the budget allows; `whole` is False once it did not."""

    budget: CopyBudget
    size: int = 0
    held: int = 0
    whole: bool = True

    def __post_init__(self) -> None:
        self.parts: list[bytes] = []

    def add(self, chunk: bytes) -> None:
        if not self.whole:
            return
        self.size += len(chunk)
        if self.size > KEEP_LIMIT or not self.budget.take(len(chunk)):
            self.whole = False
            self.release()
            return
        self.held += len(chunk)
        self.parts.append(chunk)

    def content(self) -> bytes | None:
        return b"".join(self.parts) if self.whole else None

    def release(self) -> None:
        """Give the bytes back to the budget (once checked, or dropped)."""
        self.parts = []
        self.budget.give_back(self.held)
        self.held = 0


def decoded_for_checks(encoding: str, raw: bytes | None) -> tuple[bytes, str, str]:
    """(the body the checks see, why it is a finding that it could not be read, why it is not checked)."""
    if raw is None:
        return b"", "", f"is over {KEEP_LIMIT // 1024} KiB (or the copy budget was used up)"
    body = BoundedBody(encoding, KEEP_LIMIT)
    body.feed(raw)
    content = body.finish()
    if body.cut == Cut.BROKEN:
        return content, body.reason, ""
    if body.cut == Cut.TOO_LARGE:
        return b"", "", f"decodes to over {KEEP_LIMIT // 1024} KiB"
    if body.cut == Cut.UNSUPPORTED:
        return b"", "", f"is encoded with {_coding_named(encoding)}, not decoded here"
    return content, "", ""


# the registered codings the proxy does not decode: the count of answers not checked is kept by its
# reason, and a target choosing any other Content-Encoding must not make a new reason per answer
_REGISTERED_CODINGS = frozenset(
    {"br", "zstd", "compress", "x-compress", "exi", "pack200-gzip", "aes128gcm", "dcb", "dcz"}
)


def _coding_named(encoding: str) -> str:
    codings = [c.strip().lower() for c in encoding.split(",") if c.strip().lower() not in ("", "identity")]
    unknown = [c for c in codings if c not in ("gzip", "x-gzip", "deflate")]
    if unknown and unknown[0] in _REGISTERED_CODINGS:
        return repr(unknown[0])
    return "a coding no registry names"
