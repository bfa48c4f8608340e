"""The default store: plain dictionaries, gone when the process ends."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

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
    batches: MemoryCollection[Batch] = field(default_factory=MemoryCollection)
    events: deque[dict[str, Any]] = field(default_factory=deque)


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

    def batches(self, workspace_id: str) -> MemoryCollection[Batch]:
        return self._data[workspace_id].batches

    def events(self, workspace_id: str) -> deque[dict[str, Any]]:
        return self._data[workspace_id].events
