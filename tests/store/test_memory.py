"""The memory store's weighed collections keep the sum of what their items weigh, exactly, through
puts, replacements and deletions."""

from __future__ import annotations

from mock_server.core import footprint
from mock_server.core.models import Folder
from mock_server.store.memory import WeighedMemoryCollection


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
