"""The bytes a workspace's stored things are counted for, against `--max-stored-bytes`.

Each count is an upper bound of what the thing holds in this process's memory, measured with
tracemalloc (tests/core/test_footprint.py holds the counts above the measure of each thing;
tests/services/test_quota.py above that of running batch calls, their largest settings, calls in
flight and run state included, through HTTP): a fixed part for the objects a thing always has (its
own, its id, a contact's phone number, the state of its calls and its call in flight; a batch's
settings and its run: calendar, two random streams, the dispatcher's entries) plus the text and
variables the client gave, each at what Python keeps of it (`sys.getsizeof`: one astral character
makes every character of a string 4 bytes).
Pure: no I/O.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from mock_server.core.contact_rows import ContactRow
from mock_server.core.models import Batch

ROW_BYTES = 800  # a batch's contact: the object, its id and number, its calls' state, its call in flight
CONTACT_BYTES = 384  # a directory contact: the object, its id, number, creation time, its slot in the store
FOLDER_BYTES = 384  # a folder: the object, its id and creation time
BATCH_BYTES = 20_480  # a batch: its settings at their largest, counters, attributes, its run's state
DAY_BYTES = 256  # one day of a batch's analytics (`by_day`), added as its calls are placed
VARIABLES_BYTES = 256  # a contact's variables: the dict itself
ENTRY_BYTES = 64  # one variable: its slot in the dict (its key and value are counted as they are)


def text_bytes(text: object) -> int:
    """What Python keeps of a string (or a number), its object included; None and booleans are
    shared objects, kept once for all."""
    return 0 if text is None or isinstance(text, bool) else sys.getsizeof(text)


def variables_bytes(variables: Mapping[str, Any] | None) -> int:
    if variables is None:
        return 0
    return VARIABLES_BYTES + sum(ENTRY_BYTES + text_bytes(k) + text_bytes(v) for k, v in variables.items())


def row_bytes(row: ContactRow) -> int:
    """A row as a batch keeps it (a batch keeps no email)."""
    return ROW_BYTES + text_bytes(row.first_name) + text_bytes(row.last_name) + variables_bytes(row.variables)


def contact_bytes(row: ContactRow) -> int:
    """A row as the contact directory keeps it."""
    return CONTACT_BYTES + text_bytes(row.first_name) + text_bytes(row.last_name) + text_bytes(row.email)


def folder_bytes(name: str, description: str | None) -> int:
    return FOLDER_BYTES + text_bytes(name) + text_bytes(description)


def batch_bytes(batch: Batch) -> int:
    """A batch with its rows (counted as they were added) and the days its calls were placed on."""
    return BATCH_BYTES + batch.rows_bytes + DAY_BYTES * len(batch.by_day)
