"""What an instance remembers of who owns each workspace (cluster/ownership.py), with the lease SQL
replaced by a table: asked once per workspace, asked again once its owner is no longer a live peer
or this instance's own heartbeat is old or lapsed since its lease was taken, and never more than a
few times the workspaces that exist."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mock_server.cluster import leases
from mock_server.cluster.ownership import SLACK, Known, Lease, Owners
from mock_server.cluster.registry import Registry

PEER = "http://127.0.0.1:2"


class Leases:
    """`leases.acquire` as a table: stream -> its holder's URL (None: free, taken by the asker)."""

    def __init__(self) -> None:
        self.holders: dict[str, str | None] = {}
        self.asked: list[str] = []

    async def acquire(self, db: Any, stream: str, me: str, generation: int, *, inherent: bool) -> Any:
        self.asked.append(stream)
        holder = self.holders.get(stream)
        if holder is None:
            return leases.Acquired(1)
        return leases.Held("peer", holder, generation)


def registry(alive: bool = True) -> Registry:
    found = Registry("http://127.0.0.1:1", 3.0)
    found.peers = {"peer": PEER}
    found.alive = lambda: alive  # type: ignore[method-assign]
    return found


async def owner_of(owners: Owners, stream: str) -> Known | None:
    """Where a request of `stream` is served, as the middleware finds it: what is known, or else
    what the database answers."""
    found = owners.known(stream, 1)
    return found if found is not None else await owners.ask(None, stream, 1)  # type: ignore[arg-type]


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Leases:
    found = Leases()
    monkeypatch.setattr(leases, "acquire", found.acquire)
    return found


def test_asked_once_per_workspace_while_owners_are_alive(table: Leases) -> None:
    table.holders = {"theirs": PEER}
    live = registry()
    owners = Owners(live, lambda: {"mine", "theirs"})

    async def main() -> list[Known | None]:
        return [await owner_of(owners, stream)
                for stream in ("mine", "theirs", "mine", "theirs")]

    mine = Lease(1, live.tenure)
    assert asyncio.run(main()) == [mine, PEER, mine, PEER]
    assert table.asked == ["mine", "theirs"]


def test_asked_again_when_the_owner_left_the_peers_or_this_instance_s_beat_is_old(table: Leases) -> None:
    table.holders = {"theirs": PEER}
    live = registry()
    owners = Owners(live, lambda: {"mine", "theirs"})

    async def ask(stream: str) -> Known | None:
        return await owner_of(owners, stream)

    asyncio.run(ask("theirs"))
    live.peers = {}  # its heartbeat lapsed: the next request takes the lease over
    table.holders = {}
    assert asyncio.run(ask("theirs")) == Lease(1, live.tenure)
    assert owners.lease("theirs", 1) == Lease(1, live.tenure)
    live.tenure += 1  # this instance's own beat lapsed and came back: its leases may be others' now
    assert owners.lease("theirs", 1) is None
    assert asyncio.run(ask("theirs")) == Lease(1, live.tenure)
    live.alive = lambda: False  # type: ignore[method-assign]
    assert owners.lease("theirs", 1) is None
    assert asyncio.run(ask("theirs")) is None  # taken while it may be dead to the others: not relied on
    assert table.asked == ["theirs", "theirs", "theirs", "theirs"]


def test_what_is_remembered_stays_within_a_few_times_the_workspaces_that_exist(table: Leases) -> None:
    existing = {"kept"}
    owners = Owners(registry(), lambda: existing)

    async def main() -> None:
        for n in range(10 * SLACK):  # workspaces created, served once, deleted
            await owner_of(owners, f"gone-{n}")
            assert len(owners._known) <= 2 * len(existing) + SLACK + 1

    asyncio.run(main())
