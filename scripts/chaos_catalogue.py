"""The catalogue of hostile inputs of `chaos_self_check.py`: values put in place of a request's own."""

from __future__ import annotations

import re
from typing import Any

# the 5xx the sandbox answers on purpose: a fault rule's, and a readiness session's challenge
DELIBERATE_5XX = re.compile(r"injected fault|\(readiness challenge\)")

# the catalogue of hostile values: one is put in place of a field, or added beside them
HOSTILE: list[Any] = [
    3.0, 2.5, 0, -1, 1e308, -1e308, 10**30, 2**63, 2**63 - 1, -(2**63), 1e-300, True, False, None,
    "", " ", "x" * 300, "y" * 70_000, "\x00", "\x1b[31m", "\u202e", "💥", "١", "１", "+5", "1_0", "0x10",
    "null", "NaN", "2026-13-45T00:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "24:00",
    "Nowhere/Land", "../../etc/passwd", "%2F", "<script>", "' OR 1=1 --", [], {}, [1, "2", None],
    {"a": {"b": [1]}}, ["x" * 300] * 50,
]
TEXT_PARTS = ["١", "１", "1_0", "+5", "%2F", "..", "-1", "99999999999999999999999", "", "x" * 3000,
              "%00", "%E2%80%AE", "'", "batch_00000000000"]
CSV_ODDITIES = [
    "phone_number,first_name\n+14155550101,\"Ann\nMarie\"\n+14155550102,Bob\n",
    "\ufeffphone_number\n+14155550103\n",
    "phone_number\r+14155550104\r+14155550105\r",
    "phone_number,first_name\n+14155550106," + "z" * 140_000 + "\n",
    "phone_number,first_name\n+14155550107," + "a" * 300 + "\n",
    "phone_number,email\n+14155550108,not-an-email\n",
    "name\nAda\n",
    "",
    "phone_number\n\x00\n",
    "phone_number,phone_number\n+14155550109,+14155550110\n",
    "phone_number\n" + "\n".join(f"+1415556{n:04d}" for n in range(300)) + "\n",
    "\"unterminated\nphone_number\n",
]
CLOCK_EXTREMES: list[dict[str, Any]] = [
    {"seconds": 1e18}, {"seconds": 1e308}, {"seconds": 10**30}, {"seconds": -5}, {"seconds": "x"},
    {"seconds": 10, "until": "2027-01-01T00:00:00Z"}, {"until": "9999-12-31T23:59:59Z"},
]
# odd headers, now and then in place of a request's own (a forced 5xx example would be no finding)
HOSTILE_HEADERS: list[tuple[str, str | bytes]] = [
    ("Authorization", b"Bearer \xff\xfe"), ("Authorization", "Bearer "), ("X-API-KEY", b"\xc3\xa9"),
    ("X-Idempotency-Key", "k" * 5000), ("X-Idempotency-Key", b"\x80\xff"), ("Prefer", "code=999"),
    ("Prefer", "code=404"), ("Content-Type", "application/json; charset=utf-16"),
    ("Content-Type", "text/csv"), ("X-Mock-Admin-Token", b"\xff"),
]
AGENTS = ["agt_sandbox_ready"] * 5 + ["agt_sandbox_no_numbers", "agt_sandbox_not_ready", "agt_missing"]
