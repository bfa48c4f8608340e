"""dialects/encoded.py's kept pages: answered as made, and bounded in count and bytes per world."""

from __future__ import annotations

import orjson

from mock_server.dialects.encoded import MAX_PAGE_BYTES, MAX_PAGES, EncodedCache


class World:
    def __init__(self) -> None:
        self.version = (0, 0)

    def state_version(self) -> tuple[int, int]:
        return self.version


def items(count: int, size: int, prefix: str = "b") -> list[dict[str, str]]:
    return [{"id": f"{prefix}{i}", "name": "x" * size} for i in range(count)]


def test_a_page_is_its_items_and_is_kept_until_the_state_moves() -> None:
    cache: EncodedCache[dict[str, str]] = EncodedCache(dict, lambda item: item["id"])
    world, listed, reads = World(), items(10, 10), []
    for _ in range(2):
        data, count, total = cache.page(world, (None,), lambda: reads.append(1) or listed, 2, 3)
        assert (orjson.loads(orjson.dumps(data)), count, total) == (listed[2:5], 3, 10)
    assert len(reads) == 1  # kept: the list was read once
    world.version = (1, 0)
    listed = items(4, 10, prefix="c")
    data, count, total = cache.page(world, (None,), lambda: listed, 2, 3)
    assert (orjson.loads(orjson.dumps(data)), count, total) == (listed[2:4], 2, 4)


def test_the_pages_a_world_keeps_are_bounded_in_count_and_in_bytes() -> None:
    """A client reading every offset of a large list keeps at most MAX_PAGE_BYTES of pages in its
    world (pages overlap: 32 pages of 100 batch calls were 27 times the batches' own JSON)."""
    cache: EncodedCache[dict[str, str]] = EncodedCache(dict, lambda item: item["id"])
    world, listed = World(), items(300, 700)
    for offset in range(200):
        data, count, _ = cache.page(world, (None,), lambda: listed, offset, 100)
        assert count == 100 and orjson.loads(orjson.dumps(data))[0]["id"] == f"b{offset}"
        kept = cache._kept(world)
        assert len(kept.pages) <= MAX_PAGES
        assert kept.page_bytes == sum(len(orjson.dumps(page[0])) for page in kept.pages.values())
        assert kept.page_bytes <= MAX_PAGE_BYTES
    huge = items(10, MAX_PAGE_BYTES, prefix="h")  # one page over the bound: answered, not kept
    data, count, _ = cache.page(world, ("huge",), lambda: huge, 0, 10)
    assert count == 10 and len(orjson.dumps(data)) > MAX_PAGE_BYTES
    assert (("huge",), 0, 10) not in cache._kept(world).pages


def test_the_filters_a_client_sent_count_against_the_bound() -> None:
    """An agent id is as long as the request line allows: the key a page is kept under counts."""
    cache: EncodedCache[dict[str, str]] = EncodedCache(dict, lambda item: item["id"])
    world, listed = World(), items(3, 10)
    for n in range(10):
        long_filter = f"{n}" + "a" * (MAX_PAGE_BYTES // 4)
        data, count, _ = cache.page(world, (long_filter, None), lambda: listed, 0, 3)
        assert count == 3
        kept = cache._kept(world)
        assert kept.page_bytes <= MAX_PAGE_BYTES
        assert sum(len(name[0][0]) for name in kept.pages) <= kept.page_bytes
    cache.page(world, ("a" * MAX_PAGE_BYTES, None), lambda: listed, 0, 3)  # past the bound alone
    assert all(len(name[0][0]) < MAX_PAGE_BYTES for name in cache._kept(world).pages)
