"""Objects already encoded as JSON, kept while the sandbox's state has not changed since.

A list of 50 batch calls renders and encodes 50 objects per request. Between two changes of a
world's state (an API or control write to it, or a simulated event run in it) the same request
gives the same JSON, so the encoded form of each object is kept and handed to orjson as a
`Fragment`. Any change of the world's state version drops that world's objects at once: nothing
finer is needed to be never stale, and one world's writes never flush another's.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Generic, Protocol, TypeVar

import orjson

from mock_server.engine.kept import json_to_keep

T = TypeVar("T")

MAX_ENTRIES = 20_000  # per world, about 15 MB of batch JSON; past it the world's cache starts over
# Pages of a list kept whole, per world: at most MAX_PAGES, of MAX_PAGE_BYTES together (a page of
# 100 batch calls is about 75 KB; pages overlap, so their bytes are counted apart from the
# batches'); past either, the world's pages start over
MAX_PAGES = 32
MAX_PAGE_BYTES = 256 * 1024


class Versioned(Protocol):
    def state_version(self) -> tuple[int, int]: ...


class _Kept:
    """What one world's answers reuse while its state version stays `version`."""

    __slots__ = ("version", "encoded", "pages", "page_bytes")

    def __init__(self, version: tuple[int, int]) -> None:
        self.version = version
        self.encoded: dict[Hashable, orjson.Fragment] = {}  # an object's key -> its JSON
        self.pages: dict[Hashable, tuple[orjson.Fragment, int, int]] = {}  # see `EncodedCache.page`
        self.page_bytes = 0  # of the pages' JSON and their keys' text


class EncodedCache(Generic[T]):
    def __init__(self, render: Callable[[T], Any], key: Callable[[T], Hashable]) -> None:
        self.render = render
        self.key = key
        self.enabled = True
        # by world object: a world that is gone (a reset of the sandbox) takes its entries with it
        self._worlds: weakref.WeakKeyDictionary[Versioned, _Kept] = weakref.WeakKeyDictionary()

    def _kept(self, world: Versioned) -> _Kept:
        version = world.state_version()
        kept = self._worlds.get(world)
        if kept is None or kept.version != version or len(kept.encoded) > MAX_ENTRIES:
            kept = self._worlds[world] = _Kept(version)
        return kept

    def renderer(self, world: Versioned) -> Callable[[T], Any]:
        """A render function for the objects of one answer in one world: the cached JSON, the plain
        render when the cache is disabled. The version is read once, when the answer starts."""
        if not self.enabled:
            return self.render
        encoded = self._kept(world).encoded
        render, key = self.render, self.key

        def cached(item: T) -> Any:
            k = key(item)
            found = encoded.get(k)
            if found is None:
                found = encoded[k] = orjson.Fragment(json_to_keep(render(item)))
            return found

        return cached

    def page(
        self, world: Versioned, key: tuple[str | None, ...], items: Callable[[], Sequence[T]], offset: int,
        limit: int,
    ) -> tuple[Any, int, int]:
        """One page of a list: its `data` (the rendered items from `offset`, at most `limit`), how
        many items it holds, and how many the whole list holds. `items()` gives the whole list;
        `key` names it (its filters, as the client sent them) in this world. While the world's state
        stays as it is, the same page is answered from its JSON, kept whole, without reading the list
        again: the pages and their keys together hold at most MAX_PAGE_BYTES a world."""
        kept = self._kept(world) if self.enabled else None
        name = (key, offset, limit)
        page = kept.pages.get(name) if kept is not None else None
        if page is not None:
            return page
        found = items()
        render = self.renderer(world)
        window = [render(item) for item in found[offset : offset + limit]]
        if kept is None:
            return window, len(window), len(found)
        encoded = json_to_keep(window)
        page = (orjson.Fragment(encoded), len(window), len(found))
        size = len(encoded) + sum(len(part) for part in key if part is not None)
        if size <= MAX_PAGE_BYTES:
            if len(kept.pages) >= MAX_PAGES or kept.page_bytes + size > MAX_PAGE_BYTES:
                kept.pages.clear()
                kept.page_bytes = 0
            kept.pages[name] = page
            kept.page_bytes += size
        return page
