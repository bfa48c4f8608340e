"""The memory store's weighed collections keep the sum of what their items weigh, exactly, through
puts, replacements and deletions; batch calls are read newest first a page at a time."""

from __future__ import annotations

import pickle

import pytest

from mock_server.core import footprint
from mock_server.core.models import Batch, BatchContact, BatchSettings, DayTally, Folder
from mock_server.store.base import Workspace
from mock_server.store.memory import BatchCollection, MemoryCollection, MemoryStore, WeighedMemoryCollection


def weigh(folder: Folder) -> int:
    return footprint.folder_bytes(folder.name, folder.description)


def test_the_sum_follows_every_change() -> None:
    folders: WeighedMemoryCollection[Folder] = WeighedMemoryCollection(weigh)
    small, large = Folder("f1", "a", None, 0.0), Folder("f2", "b" * 500, "c" * 1_000, 0.0)
    folders.put("f1", small)
    folders.put("f2", large)
    assert folders.held_bytes() == weigh(small) + weigh(large)
    renamed = Folder("f2", "b", None, 0.0)
    folders.put("f2", renamed)  # a replacement is weighed again
    assert folders.held_bytes() == weigh(small) + weigh(renamed)
    assert folders.delete("f1")
    assert not folders.delete("f1")
    assert folders.held_bytes() == weigh(renamed)
    folders.delete("f2")
    assert folders.held_bytes() == 0 and len(folders) == 0


def batch(batch_id: str, namespace: str = "", rows: int = 0) -> Batch:
    contacts = [BatchContact(f"ctc_{batch_id}_{i}", f"+1415555{i:04d}") for i in range(rows)]
    return Batch(batch_id, "ws_1", BatchSettings(name="b", agent_id="agt_1"), "draft", 0.0, 0.0, contacts,
                 namespace=namespace)


def test_a_batch_grown_in_place_and_put_again_is_weighed_again() -> None:
    batches = BatchCollection()
    one, two = batch("b1", rows=2), batch("b2", rows=1)
    batches.put("b1", one)
    batches.put("b2", two)
    one.contacts.append(BatchContact("ctc_more", "+14155550000"))
    one.by_day["2026-03-02"] = DayTally()
    batches.put("b1", one)
    assert batches.held_rows() == 4
    assert batches.held_bytes() == footprint.batch_bytes(one) + footprint.batch_bytes(two)
    assert batches.delete("b1") and not batches.delete("b1")
    assert (batches.held_rows(), batches.held_bytes()) == (1, footprint.batch_bytes(two))


def test_each_namespace_reads_newest_first_a_page_at_a_time() -> None:
    batches = BatchCollection()
    for i in range(10):
        batches.put(f"t{i}", batch(f"t{i}"))
        batches.put(f"z{i}", batch(f"z{i}", namespace="zudu"))
    batches.delete("t9")
    batches.put("t3", batch("t3"))  # a replacement keeps its place
    newest = batches.newest("")
    assert len(newest) == 9 and len(batches.newest("zudu")) == 10 and len(batches.newest("other")) == 0
    assert [b.id for b in newest[0:3]] == ["t8", "t7", "t6"]
    assert [b.id for b in newest[7:50]] == ["t1", "t0"] and newest[20:30] == []
    assert (newest[0].id, newest[-1].id, newest[6].id) == ("t8", "t0", "t2")
    assert [b.id for b in newest] == [f"t{i}" for i in range(8, -1, -1)]
    with pytest.raises(IndexError):
        newest[9]


def test_a_snapshot_of_plain_batches_is_summed_when_loaded() -> None:
    """Worlds pickled before the sums were kept hold a plain collection of batches."""
    store = MemoryStore()
    store.add_workspace(Workspace("ws_1", "sk_1"))
    plain: MemoryCollection[Batch] = MemoryCollection()
    plain.put("b1", batch("b1", rows=3))
    store._data["ws_1"].batches = plain  # type: ignore[assignment]
    loaded = pickle.loads(pickle.dumps(store))
    batches = loaded.batches("ws_1")
    assert batches.held_rows() == 3 and [b.id for b in batches.newest("")] == ["b1"]
