"""What the text of a flag may be, read as its value (the `parse` of a `flags.Flag`).

Each raises `argparse.ArgumentTypeError` with one sentence naming the text given: argparse puts the
flag's name in front, and `serve` prints that line alone with exit status 2.
"""

from __future__ import annotations

import argparse
import math
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from mock_server.core.timefmt import EARLIEST, LATEST
from mock_server.engine.hosts import is_host_name
from mock_server.engine.ratelimit import Limit


def instant(value: str) -> float:
    """An RFC 3339 date-time with its UTC offset, as POSIX seconds."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise argparse.ArgumentTypeError("give a UTC offset, e.g. 2026-03-02T08:00:00Z")
    if not EARLIEST <= parsed.timestamp() < LATEST:
        raise argparse.ArgumentTypeError("a start from 1970-01-01 up to (not including) 9999-01-01")
    return parsed.timestamp()


def instant_text(seconds: float) -> str:
    """POSIX seconds written as `instant` reads them."""
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def rate_limit(value: str) -> str:
    """`100/min`, `5/s`, `1000/hour` (kept as written: the engine reads it)."""
    try:
        Limit.parse(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def positive(value: str) -> float:
    """A finite number above 0."""
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise argparse.ArgumentTypeError(f"'{value}' is not a positive number")
    return number


def lease(value: str) -> float:
    """Seconds of a lease: from 0.1 (a heartbeat every third of it, to the database) to a day (the
    database's intervals, and registry rows kept that long)."""
    number = positive(value)
    if not 0.1 <= number <= 86_400:
        raise argparse.ArgumentTypeError(f"'{value}' is not between 0.1 and 86400 seconds")
    return number


def idle(value: str) -> float:
    """Seconds a world may stay unused in memory: 0 (kept for ever) or 0.1 to a week."""
    number = non_negative(value)
    if number and not 0.1 <= number <= 604_800:
        raise argparse.ArgumentTypeError(f"'{value}' is neither 0 nor between 0.1 and 604800 seconds")
    return number


def non_negative(value: str) -> float:
    """A finite number of 0 or more."""
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise argparse.ArgumentTypeError(f"'{value}' is not a number of 0 or more")
    return number


def count(value: str) -> int:
    """A whole number of 0 or more (digits only: no sign, point or space)."""
    if not value.isascii() or not value.isdigit():
        raise argparse.ArgumentTypeError(f"'{value}' is not a whole number of 0 or more")
    return int(value)


def at_least_one(value: str) -> int:
    """A whole number of 1 or more (digits only)."""
    if not value.isascii() or not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"'{value}' is not a whole number of 1 or more")
    return int(value)


def workers(value: str) -> int:
    """A number of processes, 1 to 64."""
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= 64:
        raise argparse.ArgumentTypeError(f"'{value}' is not a number of processes from 1 to 64")
    return int(value)


def store_url(value: str) -> str:
    """A PostgreSQL URL; a wrong one is shown without its password."""
    try:
        well_formed = value.startswith(("postgresql://", "postgres://")) and urlsplit(value).port != -1
    except ValueError:  # a port that is not a number, an unclosed [IPv6 address]
        well_formed = False
    if not well_formed:
        shown = re.sub(r"(//[^/@:]*:)[^/@]*@", r"\1…@", value)  # never a password on the screen
        raise argparse.ArgumentTypeError(
            f"'{shown}' is not a PostgreSQL URL (postgresql://user@host:port/database)"
        )
    return value


def web_url(value: str) -> str:
    """An http:// or https:// URL with a host."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"'{value}' is not an http:// or https:// URL")
    return value


def token(value: str) -> str:
    """A secret sent in a header: visible ASCII only, or it could never be sent."""
    if not value.strip() or not value.isascii() or not value.isprintable() or value != value.strip():
        raise argparse.ArgumentTypeError("the token must be visible ASCII characters, not blank")
    return value


def host_name(value: str) -> str:
    """A name the sandbox may be reached by: a DNS name or an IP address, without a port."""
    name = value.strip().lower().removesuffix(".")
    if not is_host_name(name):
        raise argparse.ArgumentTypeError(
            f"'{value}' is not a host name or an IP address (no scheme, port or path: any port is allowed)"
        )
    return name
