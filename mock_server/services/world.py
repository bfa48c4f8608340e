"""What the use cases need from the world of the workspace they serve."""

from __future__ import annotations

from typing import Protocol

from mock_server.core.dispatcher import Dispatcher
from mock_server.core.quotas import Quotas
from mock_server.store.base import Store, Workspace


class World(Protocol):
    store: Store
    dispatcher: Dispatcher
    live_edits: bool
    quotas: Quotas  # the most its store may hold

    @property
    def workspace(self) -> Workspace: ...

    def now(self) -> float: ...

    def new_id(self, prefix: str) -> str: ...

    def state_version(self) -> tuple[int, int]: ...
