"""Adversarial tests of rebalancing (handover of quiet worlds to an instance that joined), written
against the ask-on-join commit (8f3a5db): each failed there, and passes with its fix."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from instances import Instance, start_all
from owned import OWNED, live, owned_workspace, until, workspace_leases
from support import API, CAMPAIGN

HANDED = "batchcalls_cluster_handed_over_total"
NO_IDLE = ("--idle-evict", "0")


def owners_of(database: str, made: set[str]) -> dict[str, str]:
    return {stream: owner for stream, owner, _ in workspace_leases(database) if stream in made}


def test_a_write_through_the_taker_that_had_forwarded_to_the_giver_is_not_refused_for_ever(
    database: str, serve: Callable[..., Instance]
) -> None:
    """b joins; before the handover it forwards a read of each of a's workspaces to a (and so
    remembers a as their owner). a hands half of them to b. A write through b of one now held by b
    goes by b's memory to a, which no longer holds it and refuses a forwarded write: 503, again and
    again while a lives. One process answers 201."""
    [a] = start_all(("--store", database, *OWNED, *NO_IDLE))
    try:
        owned = [owned_workspace(a.base) for _ in range(4)]
        made = {workspace for workspace, _ in owned}
        b = serve("--store", database, *OWNED, *NO_IDLE)
        for _, key in owned:  # through b: forwarded to a, b remembers a as their owner
            assert httpx.get(f"{b.base}{API}/batch-calls", headers=key).status_code == 200
        ids = live(database)
        until(lambda: sorted(owners_of(database, made).values()).count(ids[b.base]) == 2, seconds=10)
        held = owners_of(database, made)
        time.sleep(2)  # four leases: nothing b remembers of a is refreshed while a lives
        statuses = []
        for workspace, key in owned:
            if held[workspace] == ids[b.base]:
                for _ in range(3):
                    statuses.append(httpx.post(f"{b.base}{API}/batch-calls", json=CAMPAIGN,
                                               headers=key).status_code)
        assert statuses == [201] * 6, statuses
    finally:
        a.stop()


def test_a_third_instance_joining_a_pair_does_not_leave_writes_through_the_other_refused(
    database: str, serve: Callable[..., Instance]
) -> None:
    """Scaling a pair out to three: a owns the workspaces, clients reach them through b (forwarded
    to a, b remembers a as their owner). c joins and a hands it its share. Every write through b
    of a workspace now c's still goes to a, which refuses a forwarded write it no longer owns: 503,
    for as long as a lives (b's memory of a holds while a is among its peers)."""
    a, b = start_all(("--store", database, *OWNED, *NO_IDLE), ("--store", database, *OWNED, *NO_IDLE))
    try:
        owned = [owned_workspace(a.base) for _ in range(6)]
        made = {workspace for workspace, _ in owned}
        for _, key in owned:
            assert httpx.get(f"{b.base}{API}/batch-calls", headers=key).status_code == 200
        c = serve("--store", database, *OWNED, *NO_IDLE)
        ids = live(database)
        until(lambda: ids[c.base] in owners_of(database, made).values(), seconds=10)
        time.sleep(1)
        held = owners_of(database, made)
        statuses = [httpx.post(f"{b.base}{API}/batch-calls", json=CAMPAIGN, headers=key).status_code
                    for workspace, key in owned if held[workspace] == ids[c.base]]
        assert statuses and set(statuses) == {201}, statuses
    finally:
        a.stop()
        b.stop()


def test_a_workspace_handed_to_the_instance_a_client_deletes_it_through_can_be_deleted(
    database: str, serve: Callable[..., Instance]
) -> None:
    """As the write above, a deletion: b forwarded a read of the workspace to a, a handed it to b;
    DELETE /_mock/workspaces/{id} through b goes to a, which refuses it (503), every time."""
    [a] = start_all(("--store", database, *OWNED, *NO_IDLE))
    try:
        owned = [owned_workspace(a.base) for _ in range(2)]
        made = {workspace for workspace, _ in owned}
        b = serve("--store", database, *OWNED, *NO_IDLE)
        for _, key in owned:
            assert httpx.get(f"{b.base}{API}/batch-calls", headers=key).status_code == 200
        ids = live(database)
        until(lambda: ids[b.base] in owners_of(database, made).values(), seconds=10)
        [workspace] = [w for w, owner in owners_of(database, made).items() if owner == ids[b.base]]
        statuses = [httpx.delete(f"{b.base}/_mock/workspaces/{workspace}").status_code for _ in range(3)]
        assert statuses[-1] in (204, 404) and 204 in statuses, statuses
    finally:
        a.stop()



def test_deleted_workspaces_do_not_count_in_the_shares_nor_keep_a_rebalance_going_for_ever(
    database: str, serve: Callable[..., Instance]
) -> None:
    """A workspace's deletion leaves its row in batchcalls_stream, its lease still held by its
    owner, and `leases.held_by_live` counts it. a made 6 workspaces and deleted 4: b joins and a,
    counted 6 against b's 0 (shares 3 and 3), hands b both workspaces that exist (an even split is
    one each), and its shed never reaches the share (it holds nothing more to hand): the ask stays
    due on a for ever, so every workspace a takes later is handed to b once quiet for a round,
    though no instance joined since."""
    [a] = start_all(("--store", database, *OWNED, *NO_IDLE))
    try:
        owned = [owned_workspace(a.base) for _ in range(6)]
        for workspace, _ in owned[:4]:
            assert httpx.delete(f"{a.base}/_mock/workspaces/{workspace}").status_code == 204
        kept = {workspace for workspace, _ in owned[4:]}
        b = serve("--store", database, *OWNED, *NO_IDLE)
        ids = live(database)
        until(lambda: ids[b.base] in owners_of(database, kept).values(), seconds=10)
        time.sleep(1.5)  # a few more rounds
        assert sorted(owners_of(database, kept).values()) == sorted([ids[a.base], ids[b.base]])
        later, _ = owned_workspace(a.base)  # made after the rebalance: stays with a, which took it
        time.sleep(2)
        assert owners_of(database, {later}) == {later: ids[a.base]}
    finally:
        a.stop()
