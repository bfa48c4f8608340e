"""Worlds that leave an instance's memory (`--ownership`): idle ones (`--idle-evict`), and those an
instance owns beyond its share of the live instances' (rebalancing).

Every round (a lease, at most 30 s) an instance:
1. every quarter of `--idle-evict` (a sweep walks every world it knows), puts to sleep
   (`ClusterSandbox.put_to_sleep`) the quiet worlds no request of it used for `--idle-evict`;
2. when an instance asked for a rebalance, counts the leases each live instance holds (the
   default workspace's aside: it is never handed over); while it holds more than its share (the
   total over the live instances, rounded up) and another holds less than its share (rounded
   down), hands its least recently used quiet worlds, unused for a round, to the one holding least
   (again each round until it no longer holds more, or none holds less).

An instance asks for a rebalance once, as it starts (before its first round), when the others hold
workspaces: it joined a cluster at work (instances started together, on an empty cluster, ask
nothing). Only then are workspaces handed over: otherwise a workspace stays with the instance that
took it, however uneven the counts, and a balancer that hashes on the credential header keeps
reaching its owner.

Quiet: not the default workspace (the sandbox's own requests use its world), no readiness session
armed, no webhook delivery waiting (those already made go with it, in its snapshot), no event of a
real clock to come (how far a real clock ran with no row for it goes in the snapshot too). A world
this instance owns leaves whole, under its stream's lock: its pending journal entries written, then
in one transaction behind the lease's fence a snapshot at its position and the lease passed on
(freed, or to the instance it is handed to), a new epoch. Its next request restores it from that
snapshot in one read, on the instance that takes it. A world another instance owns (caught up here
to serve a read) is simply dropped: the log has it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import TypeGuard

from mock_server.cluster import leases, shared_log
from mock_server.cluster.node import Node
from mock_server.cluster.outage import DATABASE_ERRORS, roll_back_open
from mock_server.cluster.shared_log import Connection
from mock_server.cluster.worlds import ClusterWorld
from mock_server.core.clock import RealClock

log = logging.getLogger("batchcalls.cluster")

LONGEST_ROUND = 30.0
FREE = ""  # a lease passed on to nobody


async def keep_spreading(node: Node, idle_seconds: float) -> None:
    """Rounds for ever (cancel the task to stop). `idle_seconds`: 0, never evict."""
    registry = node.registry
    assert registry is not None
    period = min(registry.lease_seconds, LONGEST_ROUND)
    sweep_every = idle_seconds / 4 if idle_seconds else math.inf
    next_round = time.monotonic()
    next_sweep = next_round + sweep_every
    answered: int | None = None  # the asks for a rebalance this instance has seen (None: not looked yet)
    due = False  # an ask not answered yet (worlds to hand over were busy)
    while True:
        try:
            if time.monotonic() >= next_round:
                next_round = time.monotonic() + period
                async with node.pool_connection() as db:
                    if answered is None:  # at start, before serving: joining a cluster at work, it asks
                        seen = await leases.rebalances_asked(db)
                        if await _others_hold(node, db):
                            await leases.ask_rebalance(db)
                        answered = seen
                    asked = await leases.rebalances_asked(db)
                due, answered = due or asked != answered, asked
                if due:  # (a world used within the round stays: its requests are under way here)
                    due = not await shed(node, time.monotonic() - period)
            if time.monotonic() >= next_sweep:
                next_sweep = time.monotonic() + sweep_every
                await sweep(node, time.monotonic() - idle_seconds)
        except DATABASE_ERRORS as exc:  # the next round tries again
            log.warning("worlds not evicted or handed over: %s", " ".join(str(exc).split()))
        await asyncio.sleep(max(0.0, min(next_round, next_sweep) - time.monotonic()))


async def _others_hold(node: Node, db: Connection) -> bool:
    registry = node.registry
    assert registry is not None
    counts = await leases.held_by_live(db, node.sandbox.generation, node.sandbox.default_world.id)
    return any(held for instance, held in counts.items() if instance != registry.member)


async def sweep(node: Node, unused_since: float) -> None:
    """Put to sleep the quiet worlds unused since `unused_since` (monotonic)."""
    for world in [w for w in node.sandbox.worlds.values() if _quiet(w, node, unused_since)]:
        if await _leave(node, world, FREE, unused_since) is not None:
            node.idle_evicted += 1


async def shed(node: Node, unused_since: float) -> bool:
    """Hand the worlds this instance owns beyond its share to the live instances below theirs,
    least recently used first, among those unused since `unused_since` (a busy world stays where
    its requests go). False: not done, some of the worlds to hand over were busy; try next round."""
    registry, owners = node.registry, node.owners
    if registry is None or owners is None:
        return True
    async with node.pool_connection() as db:  # (who is alive as the database sees it now: the
        # heartbeat's view may not have the instance that asked yet)
        counts = await leases.held_by_live(db, node.sandbox.generation, node.sandbox.default_world.id)
    me = registry.member
    if me not in counts or len(counts) < 2:
        return True
    total = sum(counts.values())
    high, low = -(-total // len(counts)), total // len(counts)
    excess = counts[me] - high
    takers = sorted((held, peer) for peer, held in counts.items() if peer != me and held < low)
    movable = sorted((w for w in node.sandbox.worlds.values() if _quiet(w, node, math.inf) and w.lease),
                     key=lambda world: world.used_at)
    busy = False
    for world in movable:
        if excess <= 0 or not takers:
            break
        if world.used_at > unused_since:
            busy = True
            continue
        held, peer = takers[0]
        if await _leave(node, world, peer, unused_since):  # handed over
            node.handed_over += 1
            excess -= 1
            takers = sorted(taker for taker in [(held + 1, peer), *takers[1:]] if taker[0] < low)
    # done once the shares are reached, or nothing left here that could go (its worlds not in
    # memory, or never quiet: a real clock's events to come)
    return excess <= 0 or not takers or not busy


def _quiet(world: object, node: Node, unused_since: float) -> TypeGuard[ClusterWorld]:
    if not isinstance(world, ClusterWorld) or not world.in_memory or world.used_at > unused_since:
        return False
    sandbox = node.sandbox
    return (world is not sandbox.default_world and world.readiness is None
            and not any(delivery.state == "pending" for delivery in sandbox.outbox.deliveries(world.id))
            and not (isinstance(world.clock, RealClock) and world.next_due() is not None))


async def _leave(node: Node, world: ClusterWorld, to: str, unused_since: float) -> bool | None:
    """The world leaves this instance's memory, its lease (if this instance holds it) passed on to
    `to`: whether it was (None: the world was used, replaced or removed meanwhile, and stays)."""
    async with node.everything.shared(), node.lock_of(world.id):
        if node.sandbox.worlds.get(world.id) is not world or not _quiet(world, node, unused_since):
            return None
        passed = world.lease is not None and await _write_whole(node, world, to)
        node.sandbox.put_to_sleep(world)
        return passed


async def _write_whole(node: Node, world: ClusterWorld, to: str) -> bool:
    """The owner's world in the database: its pending journal entries, its snapshot, its lease
    passed on to `to` (nothing but the entries when the lease turned out to be another's: the log
    has the world). A database error leaves the world in memory."""
    assert node.owners is not None and node.registry is not None and world.lease is not None
    generation, lease = node.sandbox.generation, world.lease
    async with node.pool_connection() as db:
        try:
            world.lease = None  # whatever happens now, this copy is not served from memory again unasked
            await node.journal.write_pending(db, world.id)
            async with db.pipeline():
                await db.execute("BEGIN")
                await shared_log.lock(db, world.id)
                fenced = await node.fence(db, world.id, lease)
            passed = await leases.passed(fenced)
            if passed:
                async with db.pipeline():
                    # (with no row too: a real clock's origin, drawn at its creation, is kept)
                    await shared_log.write_snapshot(db, generation, world.id, world.position,
                                                    world.snapshot())
                    await leases.pass_on(db, world.id, node.registry.member, lease.epoch, to)
                    await db.execute("COMMIT")
        finally:
            node.owners.forget(world.id)  # (a commit that failed may have passed the lease on all the same)
            await roll_back_open(db)
    return passed
