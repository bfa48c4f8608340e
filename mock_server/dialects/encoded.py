"""Objects already encoded as JSON, kept while the sandbox's state has not changed since.

A list of 50 batch calls renders and encodes 50 objects per request. Between two changes of a
world's state (an API or control write to it, or a simulated event run in it) the same request
gives the same JSON, so the encoded form of each object is kept and handed to orjson as a
`Fragment`. Any change of the world's state version drops that world's objects at once: nothing
finer is needed to be never stale, and one world's writes never flush another's.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable
from typing import Any, Generic, Protocol, TypeVar

import orjson

from mock_server.engine.kept import json_to_keep

T = TypeVar("T")

MAX_ENTRIES = 20_000  # per world, about 15 MB of batch JSON; past it the world's cache starts over


class Versioned(Protocol):
    def state_version(self) -> tuple[int, int]: ...


class EncodedCache(Generic[T]):
    def __init__(self, render: Callable[[T], Any], key: Callable[[T], Hashable]) -> None:
        self.render = render
        self.key = key
        self.enabled = True
        # by world object: a world that is gone (a reset of the sandbox) takes its entries with it
        self._worlds: weakref.WeakKeyDictionary[Versioned, tuple[Hashable, dict[Hashable, orjson.Fragment]]]
        self._worlds = weakref.WeakKeyDictionary()

    def renderer(self, world: Versioned) -> Callable[[T], Any]:
        """A render function for the objects of one answer in one world: the cached JSON, the plain
        render when the cache is disabled. The version is read once, when the answer starts."""
        if not self.enabled:
            return self.render
        version = world.state_version()
        at, encoded = self._worlds.get(world, (None, {}))
        if version != at or len(encoded) > MAX_ENTRIES:
            encoded = {}
            self._worlds[world] = (version, encoded)
        render, key = self.render, self.key

        def cached(item: T) -> Any:
            k = key(item)
            found = encoded.get(k)
            if found is None:
                found = encoded[k] = orjson.Fragment(json_to_keep(render(item)))
            return found

        return cached
