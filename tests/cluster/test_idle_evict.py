"""Memory that spreads (`--ownership`): a workspace's world is held by the instance serving it.
Another instance knows the workspace (its keys, to route and list it) but not its state, and an
owner that has not used a world for `--idle-evict` writes it whole (journal, snapshot, lease freed)
and drops it. The next request, on whichever instance, brings it back: the answers are those of one
process that never dropped anything."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from instances import Instance, start_all, without_request_ids
from owned import FLAGS, OWNED, bearer, live, metric, owned_workspace, until, workspace_leases
from support import API, CAMPAIGN

IDLE = ("--idle-evict", "0.5")
EVICTED = "batchcalls_cluster_idle_evicted_total"
DORMANT = "batchcalls_worlds_dormant"
HANDED = "batchcalls_cluster_handed_over_total"


@pytest.fixture
def idle_pair(database: str) -> Iterator[tuple[Instance, Instance]]:
    a, b = start_all(("--store", database, *OWNED, *IDLE), ("--store", database, *OWNED, *IDLE))
    try:
        yield a, b
    finally:
        a.stop()
        b.stop()


Step = Callable[[str], httpx.Response]


def campaign(bases: tuple[str, str], between: Callable[[str], None]) -> list[Any]:
    """A workspace's life: made and written through the first base, `between` run, then written and
    read through the second. Its answers, request ids aside."""
    first, second = bases
    workspace = httpx.post(f"{first}/_mock/workspaces").json()
    key = bearer(workspace["api_key"])
    created = httpx.post(f"{first}{API}/batch-calls", json=CAMPAIGN, headers=key)
    read = httpx.get(f"{first}{API}/batch-calls/{created.json()['data']['id']}", headers=key)
    between(workspace["workspace_id"])
    again = httpx.post(f"{second}{API}/batch-calls", json=CAMPAIGN, headers=key)
    listed = httpx.get(f"{second}{API}/batch-calls", headers=key)
    journal = httpx.get(f"{second}/_mock/requests", headers=key).json()["data"]
    drawn = {"workspace_id", "seed", "clock"}  # (its keys are drawn with each sandbox's secret salt)
    answers = [{k: v for k, v in workspace.items() if k in drawn}, created.json(), read.json(), again.json(),
               listed.json()]
    assert [r.status_code for r in (created, read, again, listed)] == [201, 200, 201, 200]
    return [without_request_ids(answers), [(e["method"], e["path"], e["status"]) for e in journal]]


def test_an_idle_workspace_leaves_its_owner_s_memory_and_comes_back_whole_elsewhere(
    idle_pair: tuple[Instance, Instance], serve: Callable[..., Instance], database: str
) -> None:
    a, b = idle_pair
    urls = live(database)

    seen: list[str] = []

    def evicted_by_a(workspace: str) -> None:
        seen.append(workspace)

        def gone_from_a() -> bool:  # idle: freed; or handed to b, a holding more than its share
            [(_, owner, epoch)] = [lease for lease in workspace_leases(database) if lease[0] == workspace]
            return owner != urls[a.base] and epoch >= 2

        until(gone_from_a, seconds=10)
        # its metrics, once a has seen its commit (the test may see the commit first)
        until(lambda: metric(a.base, EVICTED) + metric(a.base, HANDED) >= 1)  # (2: a slow step)
        until(lambda: metric(a.base, DORMANT) == 1)

    shared = campaign((a.base, b.base), evicted_by_a)
    one = serve(*FLAGS)
    assert shared == campaign((one.base, one.base), lambda workspace: None)
    # b restored it from a's snapshot and holds it (idle since, b may have freed it too)
    [(_, owner, epoch)] = [lease for lease in workspace_leases(database) if lease[0] in seen]
    assert owner in (urls[b.base], "") and epoch >= 3


def test_workspaces_another_instance_created_are_dormant_until_served_here(
    two: tuple[Instance, Instance]
) -> None:
    a, b = two
    made = [httpx.post(f"{a.base}/_mock/workspaces").json() for _ in range(6)]
    listed = httpx.get(f"{b.base}/_mock/workspaces").json()  # b applies the creations: keys, no state
    assert listed["total"] == 7
    assert metric(b.base, DORMANT) == 6 and metric(a.base, DORMANT) == 0
    for workspace in made[:2]:  # served by b first: b owns them, and holds their worlds
        key = bearer(workspace["api_key"])
        assert httpx.post(f"{b.base}{API}/batch-calls", json=CAMPAIGN, headers=key).status_code == 201
        found = httpx.get(f"{a.base}{API}/batch-calls", headers=key).json()  # forwarded to b
        assert len(found["data"]) == 1
    assert metric(b.base, DORMANT) == 4
    # requests of the sandbox's own that carry a dormant workspace's credentials: answered, and it
    # stays dormant (a fault rule is drawn, and a write noted, where the workspace is served)
    key = bearer(made[5]["api_key"])
    assert httpx.get(f"{b.base}/_mock/workspaces", headers=key).status_code == 200
    assert httpx.post(f"{b.base}/_mock/workspaces", headers=key).status_code == 201
    assert metric(b.base, DORMANT) == 4
    # a listing through b shows the dormant ones as a's listing does (their clocks where they were)
    assert httpx.get(f"{b.base}/_mock/workspaces").json() == httpx.get(f"{a.base}/_mock/workspaces").json()


def test_an_instance_that_joins_is_handed_its_share_of_the_workspaces(
    database: str, serve: Callable[..., Instance]
) -> None:
    [a] = start_all(("--store", database, *OWNED, "--idle-evict", "0"))
    try:
        owned = [owned_workspace(a.base) for _ in range(6)]
        made = {workspace for workspace, _ in owned}

        def owners() -> list[str]:
            return sorted(owner for stream, owner, _ in workspace_leases(database) if stream in made)

        assert owners() == [live(database)[a.base]] * 6
        b = serve("--store", database, *OWNED, "--idle-evict", "0")  # joins: a hands it 3 of its 6
        ids = live(database)

        def split() -> bool:
            return owners() == sorted([ids[a.base]] * 3 + [ids[b.base]] * 3)

        until(split, seconds=10)
        until(lambda: metric(a.base, HANDED) == 3)  # once a has seen its commits
        for _, key in owned:  # each answered whole, through either instance (b restores its 3)
            for base in (a.base, b.base):
                listed = httpx.get(f"{base}{API}/batch-calls", headers=key)
                assert listed.status_code == 200 and len(listed.json()["data"]) == 1
        assert metric(b.base, "batchcalls_worlds") - metric(b.base, DORMANT) == 1 + 3
        assert split()  # and it stays so
    finally:
        a.stop()


def test_a_copy_caught_up_from_the_log_and_evicted_comes_back_from_its_rows(
    idle_pair: tuple[Instance, Instance], database: str
) -> None:
    """b owns a workspace (its clock advanced twice, a batch created: rows, no snapshot) and is
    killed. a serves a read caught up from the log (b's lease has not lapsed), evicts that copy
    (no lease, so no snapshot), then takes the workspace over: it comes back from its creation and
    its rows, not from the clock its evicted copy had reached."""
    a, b = idle_pair
    workspace = httpx.post(f"{b.base}/_mock/workspaces").json()
    key = bearer(workspace["api_key"])
    for _ in range(2):  # (each advance's row is replayed to the instant it reached)
        assert httpx.post(f"{b.base}/_mock/clock/advance", json={"seconds": 3600}, headers=key).is_success
    assert httpx.post(f"{b.base}{API}/batch-calls", json=CAMPAIGN, headers=key).status_code == 201
    clock = httpx.get(f"{b.base}/_mock/clock", headers=key).json()
    b.kill()
    evicted = metric(a.base, EVICTED)
    assert len(httpx.get(f"{a.base}{API}/batch-calls", headers=key).json()["data"]) == 1  # served by a
    until(lambda: metric(a.base, EVICTED) > evicted, seconds=10)
    assert httpx.get(f"{a.base}/_mock/clock", headers=key).json() == clock  # a owns it now
    assert len(httpx.get(f"{a.base}{API}/batch-calls", headers=key).json()["data"]) == 1
    a.stop()
    assert "was answered" not in "".join(a.output)  # every row replayed as first answered
