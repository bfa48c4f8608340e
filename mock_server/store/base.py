"""The storage interface every store implements."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from mock_server.core.models import Agent, Batch, Contact, Folder, PhoneNumber

T = TypeVar("T")


@dataclass(slots=True)
class Workspace:
    id: str
    api_key: str
    # a second credential, for APIs that authenticate with a key id and a secret (X-API-KEY and
    # X-API-SECRET); None = the workspace has no such pair
    key_pair: tuple[str, str] | None = None
    webhook_url: str | None = None
    webhook_secret: str = ""
    # the one-shot provider fault the sandbox offers: the next schedule fails with scheduling_failed
    fail_next_schedule: bool = False


class Collection(Protocol, Generic[T]):
    """Items of one kind in one workspace, kept in insertion order."""

    def get(self, item_id: str) -> T | None: ...
    def put(self, item_id: str, item: T) -> None: ...
    def delete(self, item_id: str) -> bool: ...
    def values(self) -> Iterator[T]: ...
    def __len__(self) -> int: ...


class WeighedCollection(Collection[T], Protocol):
    """A collection that keeps the sum of what its items weigh (their bytes, as core.footprint
    counts them), so that a quota reads it without walking the items."""

    def held_bytes(self) -> int: ...


class BatchCollection(Collection[Batch], Protocol):
    """Batch calls, with the contact rows and bytes they hold summed (a batch grown in place is put
    again to be weighed again), and each namespace's batches newest first, read in place."""

    def held_rows(self) -> int: ...
    def held_bytes(self) -> int: ...
    def newest(self, namespace: str) -> Sequence[Batch]: ...


class Store(Protocol):
    """What one world holds, by workspace (a world's store holds its own workspace only; the
    sandbox finds a workspace's world by its keys)."""

    def add_workspace(self, workspace: Workspace) -> None: ...

    def agents(self, workspace_id: str) -> Collection[Agent]: ...
    def numbers(self, workspace_id: str) -> Collection[PhoneNumber]: ...
    def folders(self, workspace_id: str) -> WeighedCollection[Folder]: ...
    def contacts(self, workspace_id: str) -> WeighedCollection[Contact]: ...
    def batches(self, workspace_id: str) -> BatchCollection: ...
    def events(self, workspace_id: str) -> deque[dict[str, Any]]: ...  # the newest, oldest first
