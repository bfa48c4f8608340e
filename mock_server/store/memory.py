"""The default store: plain dictionaries, gone when the process ends."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

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


@dataclass
class _WorkspaceData:
    agents: MemoryCollection[Agent] = field(default_factory=MemoryCollection)
    numbers: MemoryCollection[PhoneNumber] = field(default_factory=MemoryCollection)
    folders: MemoryCollection[Folder] = field(default_factory=MemoryCollection)
    contacts: MemoryCollection[Contact] = field(default_factory=MemoryCollection)
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

    def folders(self, workspace_id: str) -> MemoryCollection[Folder]:
        return self._data[workspace_id].folders

    def contacts(self, workspace_id: str) -> MemoryCollection[Contact]:
        return self._data[workspace_id].contacts

    def batches(self, workspace_id: str) -> MemoryCollection[Batch]:
        return self._data[workspace_id].batches

    def events(self, workspace_id: str) -> deque[dict[str, Any]]:
        return self._data[workspace_id].events
