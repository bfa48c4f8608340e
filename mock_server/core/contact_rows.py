"""Contact rows from a CSV upload or a JSON list, checked as a whole: every bad row is reported
by its line, and a rejected upload keeps nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mock_server.core.errors import RequestInvalid, Violation

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


# the columns a CSV row may fill, as in a JSON contact (others are ignored)
CSV_COLUMNS = ("phone_number", "first_name", "last_name", "email")
# checks one row as a JSON contact: (row, where it is) -> its violations
RowCheck = Callable[[Mapping[str, str], tuple[str | int, ...]], list[Violation]]


def _physical_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank CSV record with the physical line it starts on (quoted newlines counted)."""
    reader = csv.reader(io.StringIO(text, newline=""))  # a bare \r ends a row, not a 500
    ended = 0  # the physical line the previous record ended on
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. a field past csv's limit of 131,072 characters
            line = ended + 1
            problem = "a field is longer than 131072 characters" if "field limit" in str(exc) else str(exc)
            message = f"line {line} cannot be read as CSV: {problem}"
            raise RequestInvalid([Violation(("body", line), message, "value_error")]) from None
        start, ended = ended + 1, reader.line_num
        if any(cell.strip() for cell in record):
            yield start, record


def rows_from_csv(text: str, check: RowCheck) -> list[ContactRow]:
    """Rows of a CSV with a header line naming `phone_number` (and optionally name and email).

    Each row meets the rules of a JSON contact (`check`); violations name the physical line.
    """
    rows_in = _physical_rows(text)
    header_line, header = next(rows_in, (1, []))
    columns = [h.strip().lower() for h in header]
    if "phone_number" not in columns:
        raise RequestInvalid(
            [Violation(("body", header_line), "the CSV header must have a phone_number column", "missing")]
        )
    rows: list[ContactRow] = []
    problems: list[Violation] = []
    for line, record in rows_in:
        cells = zip(columns, record, strict=False)
        fields = {n: v.strip() for n, v in cells if n in CSV_COLUMNS and (v.strip() or n == "phone_number")}
        found = check(fields, ("body", line))
        if found:
            problems.extend(found)
            continue
        rows.append(_row(fields))
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


def new_numbers(rows: Iterable[ContactRow], held: set[str]) -> tuple[list[ContactRow], int]:
    """The first row of each phone number not in `held` (which gains them), in order, and how many
    rows were left out as duplicates."""
    kept: list[ContactRow] = []
    duplicates = 0
    for row in rows:
        if row.phone_number in held:
            duplicates += 1
            continue
        held.add(row.phone_number)
        kept.append(row)
    return kept, duplicates
