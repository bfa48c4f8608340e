"""The default store: plain dictionaries, gone when the process ends."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from mock_server.core.models import Agent, Batch, Contact, Folder, PhoneNumber
from mock_server.store.base import IdempotencyRecord, Workspace

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
    idempotency: MemoryCollection[IdempotencyRecord] = field(default_factory=MemoryCollection)
    events: list[dict[str, Any]] = field(default_factory=list)


class MemoryStore:
    def __init__(self) -> None:
        self._by_key: dict[str, Workspace] = {}
        self._by_pair_key: dict[str, Workspace] = {}
        self._data: dict[str, _WorkspaceData] = {}

    def add_workspace(self, workspace: Workspace) -> None:
        self._by_key[workspace.api_key] = workspace
        if workspace.key_pair is not None:
            self._by_pair_key[workspace.key_pair[0]] = workspace
        self._data[workspace.id] = _WorkspaceData()

    def workspace_by_key(self, api_key: str) -> Workspace | None:
        return self._by_key.get(api_key)

    def workspace_by_pair_key(self, key_id: str) -> Workspace | None:
        return self._by_pair_key.get(key_id)

    def workspaces(self) -> list[Workspace]:
        return list(self._by_key.values())

    def clear(self) -> None:
        self._by_key.clear()
        self._by_pair_key.clear()
        self._data.clear()

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

    def idempotency(self, workspace_id: str) -> MemoryCollection[IdempotencyRecord]:
        return self._data[workspace_id].idempotency

    def events(self, workspace_id: str) -> list[dict[str, Any]]:
        return self._data[workspace_id].events
