"""A workspace's request journal entries as one row of `batchcalls_journal`, and back.

A row holds the pickle of the entries' list. An answer kept unencoded (`engine/seen.Unencoded`)
is stored as its bytes, and one built around a long cached part (a list's page, kept encoded by
`dialects/encoded.py` while the world's state stays as it is) as three parts: the bytes before it,
the cached part, the bytes after. The entries of one row that answered the same cached page share
its bytes: pickle writes the same object once. A hot workspace's reads of one page, gathered in
one background write, so cost the database about one page, not one per read.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from typing import Any

import orjson

from mock_server.cluster.shared_log import JournalRow
from mock_server.engine.seen import Unencoded
from mock_server.observe.request_journal import Exchange, Raw

ANSWER_BODY = Exchange._fields.index("response_body")
SHARED_FROM = 4_096  # bytes of an answer from which its cached part is shared with the row's others
# where the cached part stands while the rest is encoded: no JSON orjson writes holds a NUL byte (a
# string's is escaped), so it is found only where it was put
_MARK = orjson.Fragment(b"\x00")

Parts = tuple[bytes, bytes, bytes]  # before the cached part, the part, after it


def rows(generation: int, taken: Sequence[tuple[str, Raw]]) -> list[JournalRow]:
    """Entries, each with the workspace it is of, as rows: one per workspace."""
    by_world: dict[str, list[Raw]] = {}
    for world_id, raw in taken:
        by_world.setdefault(world_id, []).append(raw)
    made = []
    for world_id, raws in by_world.items():
        # a cached part's id -> the part (held: its id is no other's meanwhile) and its bytes
        shared: dict[int, tuple[orjson.Fragment, bytes]] = {}
        plain = [_plain(raw, shared) for raw in raws]
        made.append(JournalRow(generation, world_id, len(raws),
                               pickle.dumps(plain, protocol=pickle.HIGHEST_PROTOCOL)))
    return made


def entries(pickled: bytes) -> list[Raw]:
    """A row's entries, each answer's body whole again."""
    found: list[Raw] = pickle.loads(pickled)  # noqa: S301 - the sandbox's own database
    return [raw if type(raw[ANSWER_BODY]) is not tuple else _whole(raw) for raw in found]


def _whole(raw: Raw) -> Raw:
    return (*raw[:ANSWER_BODY], b"".join(raw[ANSWER_BODY]), *raw[ANSWER_BODY + 1:])


def _plain(raw: Raw, shared: dict[int, tuple[orjson.Fragment, bytes]]) -> Raw:
    """The entry as its row holds it: an unencoded answer as its bytes, or as its parts around a
    cached part that another entry of the row may share. (Written so rather than by pickling
    `Unencoded` through its `__reduce__`: that call was half a read's pickle.)"""
    body = raw[ANSWER_BODY]
    if not isinstance(body, Unencoded):
        return raw
    stored: bytes | Parts | None = None
    if body.size >= SHARED_FROM:
        stored = _parts(body, shared)
    if stored is None:
        stored = body.encoded()
    return (*raw[:ANSWER_BODY], stored, *raw[ANSWER_BODY + 1:])


def _parts(body: Unencoded, shared: dict[int, tuple[orjson.Fragment, bytes]]) -> Parts | None:
    """The answer around its first top-level cached part (None: it has none)."""
    value: Any = body.value
    if not isinstance(value, dict):
        return None
    name = next((k for k, v in value.items() if type(v) is orjson.Fragment), None)
    if name is None:
        return None
    fragment = value[name]
    marked = orjson.dumps({**value, name: _MARK})
    at = marked.index(b"\x00")
    before, after = marked[:at], marked[at + 1:]
    known = shared.get(id(fragment))
    if known is None:
        whole = body.encoded()
        known = shared[id(fragment)] = (fragment, whole[at:len(whole) - len(after)])
    return before, known[1], after
