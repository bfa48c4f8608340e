"""cluster/journal_rows.py: a workspace's journal entries packed as one row and read back, on the
entries one process records (no PostgreSQL needed). What a row gives back is what the journal showed
before it was written; reads of one cached list page gathered in a row store the page once."""

from __future__ import annotations

import asyncio
import pickle
from typing import Any

import orjson
import pytest
from support import API, CAMPAIGN, START, asgi

from mock_server.app import create_app
from mock_server.cluster.journal_rows import ANSWER_BODY, entries, rows
from mock_server.engine.seen import Unencoded, body_bytes
from mock_server.observe.request_journal import Raw
from mock_server.settings import Settings

READS = 8


def recorded(*writes_between: bool) -> tuple[list[Raw], bytes]:
    """The journal entries of a workspace with 60 batch calls: a read of one, then a list of 50 per
    item of `writes_between` (True: a batch call renamed first, so the page changes), and the
    workspace's key (its entries' world)."""
    app = create_app(Settings(clock="manual", start_at=START))

    async def life() -> str:
        key = (await asgi(app, "POST", "/_mock/workspaces", b"{}"))[1]["api_key"]
        made = [(await asgi(app, "POST", f"{API}/batch-calls", orjson.dumps(CAMPAIGN), key))[1]["data"]["id"]
                for _ in range(60)]
        await asgi(app, "GET", f"{API}/batch-calls/{made[0]}", key=key)
        for n, write in enumerate(writes_between):
            if write:
                renamed = orjson.dumps({"name": f"v{n}"})
                await asgi(app, "PATCH", f"{API}/batch-calls/{made[-1]}", renamed, key)
            status, _ = await asgi(app, "GET", f"{API}/batch-calls", key=key, query=b"limit=50")
            assert status == 200
        return key

    key = asyncio.run(life())
    world = app.state.sandbox.world_of({"authorization": f"Bearer {key}"})
    return list(world.journal._entries), world.id.encode()


def bodies(raws: list[Raw]) -> list[bytes]:
    return [body_bytes(raw[ANSWER_BODY]) for raw in raws]


def test_every_entry_reads_back_as_recorded_its_answer_as_its_bytes() -> None:
    raws, world = recorded(False, True, False)
    (row,) = rows(7, [(world.decode(), raw) for raw in raws])
    assert (row.generation, row.stream, row.held) == (7, world.decode(), len(raws))
    back = entries(row.pickled)
    assert all(type(raw[ANSWER_BODY]) is bytes for raw in back)
    assert bodies(back) == bodies(raws)
    assert [raw[:ANSWER_BODY] + raw[ANSWER_BODY + 1:] for raw in back] == [
        raw[:ANSWER_BODY] + raw[ANSWER_BODY + 1:] for raw in raws
    ]


def test_reads_of_one_page_in_a_row_store_the_page_once() -> None:
    raws, world = recorded(*[False] * READS)
    lists = [raw for raw in raws if raw[7] == "list_batch_calls"]
    assert len(lists) == READS and all(isinstance(raw[ANSWER_BODY], Unencoded) for raw in lists)
    page = len(bodies(lists)[0])
    assert page > 20_000
    (row,) = rows(1, [(world.decode(), raw) for raw in lists])
    assert len(row.pickled) < 2 * page, "the page is stored once, not once per read"
    assert bodies(entries(row.pickled)) == bodies(lists)  # each with its own request id and instant
    assert len(set(bodies(lists))) == READS


def test_a_page_that_changed_between_reads_is_stored_as_each_read_answered_it() -> None:
    raws, world = recorded(False, True, False)
    lists = [raw for raw in raws if raw[7] == "list_batch_calls"]
    (row,) = rows(1, [(world.decode(), raw) for raw in lists])
    back = bodies(entries(row.pickled))
    assert back == bodies(lists)
    names = [[item["name"] for item in orjson.loads(body)["data"]] for body in back]
    assert names[0] != names[1] and names[1] == names[2]  # (the newest batch call leads the page)


@pytest.mark.parametrize("value", [{"data": [1, 2, 3], "meta": {"x": "y" * 5_000}}, ["a" * 5_000], "plain"])
def test_an_answer_with_no_cached_part_is_stored_as_its_bytes(value: Any) -> None:
    raws, world = recorded()
    encoded = orjson.dumps(value)
    raw = (*raws[-1][:ANSWER_BODY], Unencoded(value, len(encoded)), *raws[-1][ANSWER_BODY + 1:])
    (row,) = rows(1, [(world.decode(), raw)])
    assert pickle.loads(row.pickled)[0][ANSWER_BODY] == encoded  # noqa: S301 - made just above
    assert bodies(entries(row.pickled)) == [encoded]


def test_entries_of_two_workspaces_are_two_rows_in_the_order_recorded() -> None:
    raws, _ = recorded(False)
    taken = [("ws_a", raws[0]), ("ws_b", raws[1]), ("ws_a", raws[2])]
    found = {row.stream: row for row in rows(3, taken)}
    assert set(found) == {"ws_a", "ws_b"} and (found["ws_a"].held, found["ws_b"].held) == (2, 1)
    assert bodies(entries(found["ws_a"].pickled)) == bodies([raws[0], raws[2]])
