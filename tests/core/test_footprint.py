"""What the byte quota counts for a stored thing is at least what it holds, measured with
tracemalloc on the costliest shapes a client may send (one astral character makes a string 4 bytes a
character; many tiny variables cost a dict slot and a key object each)."""

from __future__ import annotations

import gc
import itertools
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from mock_server.core import footprint
from mock_server.core.batch_run import Call
from mock_server.core.contact_rows import ContactRow
from mock_server.core.ids import IdFactory
from mock_server.core.models import BatchContact, Contact, Folder, PhoneNumber
from mock_server.core.outcomes import CallResult

ASTRAL = "é" * 99 + "𝔸"
IDS = IdFactory(7)
PHONE = "+14155550100"
MANY = 1_000
NUMBER = PhoneNumber("num_sandbox_1", "+18005550101", "Sandbox line 1", "agt_sandbox_ready", 0.0)  # shared


def measured(make: Callable[[], Any], count: int = 200) -> float:
    """Bytes each of `count` things `make` builds keeps alive, on average."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [make() for _ in range(count)]
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(kept) == count
    return (after - before) / count


def fresh(text: str) -> str:
    return "".join(list(text))  # a string object of its own, as a parsed request gives


def called(contact: BatchContact) -> BatchContact:
    """The state a call leaves on a contact, every field set (the most it holds)."""
    contact.call_status, contact.attempts, contact.outcome = "completed", 3, "completed"
    contact.scheduled_at, contact.called_at = 1_772_438_400.5, 1_772_438_460.5
    contact.call_id, contact.duration_seconds, contact.cost_usd = IDS.new("call"), 100_000, 12.34
    contact.from_number, contact.from_phone_number_id = NUMBER.phone_number, NUMBER.id  # the line's own
    return contact


ROWS = {
    "plain": lambda: ContactRow(fresh("+14155550100")),
    "astral names": lambda: ContactRow(fresh("+14155550100"), fresh(ASTRAL), fresh(ASTRAL)),
    "tiny variables": lambda: ContactRow(fresh("+14155550100"),
                                         variables={fresh(f"k{i}"): None for i in range(420)}),
    "long variables": lambda: ContactRow(fresh("+14155550100"),
                                         variables={fresh("note"): fresh("𝔸" * 1_200), fresh("n"): 10**30}),
}


@pytest.mark.parametrize("shape", list(ROWS))
def test_a_batch_contact_is_counted_for_at_least_what_it_holds(shape: str) -> None:
    # 1,000 of each: what the interpreter's free lists hold (floats, tuples, dicts: whatever the tests
    # before left there) moves the measure by a fixed number of bytes, spread over 1,000 it is noise
    rows = [ROWS[shape]() for _ in range(MANY)]
    counted = footprint.row_bytes(rows[0])
    pending, indexes = iter(rows), itertools.count()
    heap: list[tuple[float, int, str, Call | None, int]] = []  # the dispatcher's

    def make() -> BatchContact:
        row = next(pending)
        variables = dict(row.variables) if row.variables is not None else None
        contact = called(BatchContact(IDS.new("ctc"), row.phone_number, row.first_name, row.last_name,
                                      variables=variables))
        # with the most its batch's run keeps for it: its call in flight in the dispatcher's heap
        # (more than its entry in the retry heap, which it has only between two calls)
        index = next(indexes)
        result = CallResult("completed", None, 100_000 + index, 12.34 + index)
        call = Call(100_000 + index, contact.call_id or "", NUMBER, result, "2026-03-02")  # the window's day
        heap.append((1_772_438_400.5 + index, 100_000 + index, "batch_1", call, 0))
        return contact

    # the row's own text was made before the measure: it is what the row adds, counted too (the
    # ContactRow around it is the parsed request's, dropped once the batch holds the row)
    row_text = measured(lambda: ROWS[shape](), MANY) - measured(lambda: ContactRow(PHONE), MANY)
    assert measured(make, MANY) + row_text <= counted


def test_a_directory_contact_is_counted_for_at_least_what_it_holds() -> None:
    email = "a" * 64 + "@" + ("b" * 63 + ".") * 2 + "c" * 57 + ".com"

    def make() -> Contact:
        return Contact(IDS.new("ctc"), fresh("+14155550100"), fresh(ASTRAL), fresh(ASTRAL), fresh(email),
                       "folder_sandbox_demo", 1_772_438_400.5)

    assert measured(make) <= footprint.contact_bytes(ContactRow("+14155550100", ASTRAL, ASTRAL, email))


def test_a_folder_is_counted_for_at_least_what_it_holds() -> None:
    name, description = "𝔸" * 255, "𝔸" * 1_000

    def make() -> Folder:
        return Folder(IDS.new("folder"), fresh(name), fresh(description), 1_772_438_400.5)

    assert measured(make) <= footprint.folder_bytes(name, description)
