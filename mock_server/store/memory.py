"""The default store: plain dictionaries, gone when the process ends."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Generic, TypeVar, overload

from mock_server.core import footprint
from mock_server.core.contact_rows import ContactRow
from mock_server.core.models import Agent, Batch, Contact, Folder, PhoneNumber
from mock_server.store.base import Workspace

T = TypeVar("T")


class MemoryCollection(Generic[T]):
    def __init__(self) -> None:
        self._items: dict[str, T] = {}

    def get(self, item_id: str) -> T | None:
        return self._items.get(item_id)

    def put(self, item_id: str, item: T) -> None:
        self._items[item_id] = item

    def delete(self, item_id: str) -> bool:
        return self._items.pop(item_id, None) is not None

    def values(self) -> Iterator[T]:
        return iter(list(self._items.values()))

    def __len__(self) -> int:
        return len(self._items)


class WeighedMemoryCollection(MemoryCollection[T]):
    """Keeps the sum of `weigh(item)` over its items. An item is not changed in place: put it again
    (it is weighed again), so that what it is counted for is what it holds."""

    def __init__(self, weigh: Callable[[T], int]) -> None:
        super().__init__()
        self._weigh = weigh
        self._bytes = 0

    def put(self, item_id: str, item: T) -> None:
        previous = self._items.get(item_id)
        if previous is not None:
            self._bytes -= self._weigh(previous)
        super().put(item_id, item)
        self._bytes += self._weigh(item)

    def delete(self, item_id: str) -> bool:
        found = self._items.pop(item_id, None)
        if found is None:
            return False
        self._bytes -= self._weigh(found)
        return True

    def held_bytes(self) -> int:
        return self._bytes


class NewestFirst(Sequence[Batch]):
    """One namespace's batches, newest first, read where they are kept: a page of it costs its offset
    and its length, never the number of batches. Read it at once (it follows the collection)."""

    def __init__(self, items: dict[str, Batch], ids: dict[str, None]) -> None:
        self._items = items
        self._ids = ids

    def __len__(self) -> int:
        return len(self._ids)

    def __iter__(self) -> Iterator[Batch]:
        items = self._items
        return (items[i] for i in list(reversed(self._ids)))

    @overload
    def __getitem__(self, index: int) -> Batch: ...
    @overload
    def __getitem__(self, index: slice) -> list[Batch]: ...
    def __getitem__(self, index: int | slice) -> Batch | list[Batch]:
        if isinstance(index, int):
            position = index + len(self._ids) if index < 0 else index
            found = self[position : position + 1] if position >= 0 else []
            if not found:
                raise IndexError(index)
            return found[0]
        start, stop, step = index.indices(len(self._ids))
        if step != 1:
            return list(self)[index]
        items = self._items
        return [items[i] for i in islice(reversed(self._ids), start, max(start, stop))]


class BatchCollection(MemoryCollection[Batch]):
    """A workspace's batch calls, with the contact rows and bytes they hold summed (core.footprint),
    so that a quota check reads two numbers instead of walking every batch, and an index of each
    namespace's batches in creation order, so that a page of a list does not walk them either.

    A batch grows in place (contacts uploaded, a day of calls opened): whoever grows it puts it again,
    and it is weighed again against what it was counted for when last put."""

    def __init__(self) -> None:
        super().__init__()
        self._counted: dict[str, tuple[int, int]] = {}  # id -> (rows, bytes) when last put
        self._rows = 0
        self._bytes = 0
        self._by_namespace: dict[str, dict[str, None]] = {}

    def put(self, item_id: str, item: Batch) -> None:
        counted = self._counted.get(item_id)
        if counted is not None:
            self._rows -= counted[0]
            self._bytes -= counted[1]
        else:
            self._by_namespace.setdefault(item.namespace, {})[item_id] = None
        super().put(item_id, item)
        weight = (len(item.contacts), footprint.batch_bytes(item))
        self._counted[item_id] = weight
        self._rows += weight[0]
        self._bytes += weight[1]

    def delete(self, item_id: str) -> bool:
        found = self._items.pop(item_id, None)
        if found is None:
            return False
        rows, held = self._counted.pop(item_id)
        self._rows -= rows
        self._bytes -= held
        self._by_namespace[found.namespace].pop(item_id, None)
        return True

    def held_rows(self) -> int:
        return self._rows

    def held_bytes(self) -> int:
        return self._bytes

    def newest(self, namespace: str) -> NewestFirst:
        return NewestFirst(self._items, self._by_namespace.get(namespace, {}))

    @classmethod
    def of(cls, batches: MemoryCollection[Batch]) -> BatchCollection:
        """The batches of a plain collection (a world pickled before the sums were kept)."""
        collection = cls()
        for batch in batches.values():
            collection.put(batch.id, batch)
        return collection


def _folder_bytes(folder: Folder) -> int:
    return footprint.folder_bytes(folder.name, folder.description)


def _contact_bytes(contact: Contact) -> int:
    return footprint.contact_bytes(ContactRow(contact.phone_number, contact.first_name, contact.last_name,
                                              contact.email))


@dataclass
class _WorkspaceData:
    agents: MemoryCollection[Agent] = field(default_factory=MemoryCollection)
    numbers: MemoryCollection[PhoneNumber] = field(default_factory=MemoryCollection)
    folders: WeighedMemoryCollection[Folder] = field(
        default_factory=lambda: WeighedMemoryCollection(_folder_bytes))
    contacts: WeighedMemoryCollection[Contact] = field(
        default_factory=lambda: WeighedMemoryCollection(_contact_bytes))
    batches: BatchCollection = field(default_factory=BatchCollection)
    events: deque[dict[str, Any]] = field(default_factory=deque)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if not isinstance(self.batches, BatchCollection):  # a snapshot taken before the sums were kept
            self.batches = BatchCollection.of(self.batches)


class MemoryStore:
    def __init__(self, max_events: int | None = None) -> None:
        self._data: dict[str, _WorkspaceData] = {}
        self.max_events = max_events  # the event log keeps the newest; None: all

    def add_workspace(self, workspace: Workspace) -> None:
        self._data[workspace.id] = _WorkspaceData(events=deque(maxlen=self.max_events))

    def agents(self, workspace_id: str) -> MemoryCollection[Agent]:
        return self._data[workspace_id].agents

    def numbers(self, workspace_id: str) -> MemoryCollection[PhoneNumber]:
        return self._data[workspace_id].numbers

    def folders(self, workspace_id: str) -> WeighedMemoryCollection[Folder]:
        return self._data[workspace_id].folders

    def contacts(self, workspace_id: str) -> WeighedMemoryCollection[Contact]:
        return self._data[workspace_id].contacts

    def batches(self, workspace_id: str) -> BatchCollection:
        return self._data[workspace_id].batches

    def events(self, workspace_id: str) -> deque[dict[str, Any]]:
        return self._data[workspace_id].events
