"""Contact rows from a CSV upload or a JSON list, checked as a whole: every bad row is reported
by its line, and a rejected upload keeps nothing."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mock_server.core.errors import RequestInvalid, Violation

E164 = re.compile(r"^\+[1-9]\d{1,14}$")
MAX_ROWS = 10_000


@dataclass(frozen=True, slots=True)
class ContactRow:
    phone_number: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    contact_id: str | None = None  # set when the row is an existing directory contact
    variables: Mapping[str, Any] | None = None  # per-contact values handed to the agent
    max_retries: int | None = None  # per-contact retry limit (None: the batch's settings)


def _text(value: Any) -> str | None:
    return (str(value).strip() or None) if value else None


def _row(values: Mapping[str, Any]) -> ContactRow:
    return ContactRow(
        str(values["phone_number"]).strip(),
        _text(values.get("first_name")),
        _text(values.get("last_name")),
        _text(values.get("email")),
    )


def rows_from_csv(text: str) -> list[ContactRow]:
    """Rows of a CSV with a header line naming `phone_number` (and optionally name and email)."""
    reader = csv.DictReader(io.StringIO(text, newline=""))  # a bare \r ends a row, not a 500
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "phone_number" not in header:
        raise RequestInvalid(
            [Violation(("body", 1), "the CSV header must have a phone_number column", "missing")]
        )
    reader.fieldnames = header
    rows: list[ContactRow] = []
    problems: list[Violation] = []
    for line, record in enumerate(reader, start=2):
        if not any((v or "").strip() for v in record.values() if isinstance(v, str)):
            continue  # blank lines are not contacts
        phone = (record.get("phone_number") or "").strip()
        if not E164.match(phone):
            problems.append(
                Violation(
                    ("body", line, "phone_number"),
                    f"'{phone}' is not an E.164 phone number (e.g. +15551234567)",
                    "string_pattern_mismatch",
                )
            )
            continue
        rows.append(_row(record))
        if len(rows) > MAX_ROWS:
            problems.append(Violation(("body", line), f"at most {MAX_ROWS} contacts per upload", "too_long"))
            break
    if problems:
        raise RequestInvalid(problems)
    if not rows:
        raise RequestInvalid([Violation(("body",), "the CSV has no contact rows", "too_short")])
    return rows


def rows_from_json(items: Sequence[Mapping[str, Any]]) -> list[ContactRow]:
    """Inline contacts already validated by the schema (E.164 included)."""
    return [_row(item) for item in items]
