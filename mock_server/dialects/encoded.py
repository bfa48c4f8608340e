"""Objects already encoded as JSON, kept while the sandbox's state has not changed since.

A list of 50 batch calls renders and encodes 50 objects per request. Between two changes of state
(an API or control write, or a simulated event run) the same request gives the same JSON, so the
encoded form of each object is kept and handed to orjson as a `Fragment`. Any change of the
sandbox's state version drops everything at once: nothing finer is needed to be never stale.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

import orjson

from mock_server.engine.kept import json_to_keep

T = TypeVar("T")

MAX_ENTRIES = 20_000  # about 15 MB of batch JSON; past it the cache starts over


class EncodedCache(Generic[T]):
    def __init__(
        self, render: Callable[[T], Any], key: Callable[[T], Hashable], version: Callable[[], Hashable]
    ) -> None:
        self.render = render
        self.key = key
        self.version = version
        self.enabled = True
        self._at: Hashable = None
        self._encoded: dict[Hashable, orjson.Fragment] = {}

    def renderer(self) -> Callable[[T], Any]:
        """A render function for the objects of one answer: the cached JSON, the plain render when
        the cache is disabled. The version is read once, when the answer starts."""
        if not self.enabled:
            return self.render
        version = self.version()
        if version != self._at or len(self._encoded) > MAX_ENTRIES:
            self._encoded.clear()
            self._at = version
        encoded, render, key = self._encoded, self.render, self.key

        def cached(item: T) -> Any:
            k = key(item)
            found = encoded.get(k)
            if found is None:
                found = encoded[k] = orjson.Fragment(json_to_keep(render(item)))
            return found

        return cached
