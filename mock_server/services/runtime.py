"""What the use cases need from the sandbox that hosts them."""

from __future__ import annotations

from typing import Protocol

from mock_server.core.dispatcher import Dispatcher
from mock_server.store.base import Store


class Runtime(Protocol):
    store: Store
    dispatcher: Dispatcher
    live_edits: bool

    def now(self) -> float: ...

    def new_id(self, prefix: str) -> str: ...

    def state_version(self) -> tuple[int, int]: ...
