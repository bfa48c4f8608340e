"""Idle worlds leave memory (`--idle-evict`, with `--ownership`).

Every sweep (a quarter of the period, at most 30 s) an instance looks at the worlds it holds in
memory, and puts to sleep (`ClusterSandbox.put_to_sleep`) those no request of this process used
for the period that have nothing under way here: no readiness session armed, no webhook delivery
waiting, no real clock's event to come. The default workspace stays (the sandbox's own requests use
its world). A world this instance owns is first written whole: its
journal entries pending, then in one transaction under its lease's fence a snapshot at its
position and the lease freed, so the next request, on whichever instance it reaches, restores it
from that snapshot in one read. A world another instance owns (caught up here to serve a read)
is simply dropped: the log has it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TypeGuard

import psycopg

from mock_server.cluster import leases, shared_log
from mock_server.cluster.node import Node
from mock_server.cluster.outage import DATABASE_ERRORS
from mock_server.cluster.worlds import ClusterWorld
from mock_server.core.clock import RealClock

log = logging.getLogger("batchcalls.cluster")

LONGEST_SWEEP_PERIOD = 30.0


async def keep_evicting(node: Node, idle_seconds: float) -> None:
    """Sweep for ever (cancel the task to stop)."""
    period = min(max(idle_seconds / 4, 0.05), LONGEST_SWEEP_PERIOD)
    while True:
        await asyncio.sleep(period)
        try:
            await sweep(node, time.monotonic() - idle_seconds)
        except DATABASE_ERRORS as exc:  # the next sweep tries again
            log.warning("idle worlds not evicted: %s", " ".join(str(exc).split()))


async def sweep(node: Node, unused_since: float) -> int:
    """Put to sleep the worlds unused since `unused_since` (monotonic): how many."""
    evicted = 0
    for world in [w for w in node.sandbox.worlds.values() if _idle(w, node, unused_since)]:
        async with node.everything.shared(), node.lock_of(world.id):
            if node.sandbox.worlds.get(world.id) is not world or not _idle(world, node, unused_since):
                continue  # used, replaced or removed meanwhile
            if world.lease is not None:
                await _write_whole(node, world)
            node.sandbox.put_to_sleep(world)
            node.idle_evicted += 1
            evicted += 1
    return evicted


def _idle(world: object, node: Node, unused_since: float) -> TypeGuard[ClusterWorld]:
    if not isinstance(world, ClusterWorld) or not world.in_memory or world.used_at > unused_since:
        return False
    sandbox = node.sandbox
    return (world is not sandbox.default_world and world.readiness is None and world.pending_catch_up is None
            and not sandbox.outbox.deliveries(world.id)
            and not (isinstance(world.clock, RealClock) and world.next_due() is not None))


async def _write_whole(node: Node, world: ClusterWorld) -> None:
    """The owner's world in the database: its pending journal entries, its snapshot, its lease
    freed (nothing but the entries when the lease turned out to be another's: the log has the
    world). A database error leaves the world in memory."""
    assert node.owners is not None and node.registry is not None and world.lease is not None
    generation, lease = node.sandbox.generation, world.lease
    async with node.pool_connection() as db:
        try:
            await node.journal.write_pending(db, world.id)
            async with db.pipeline():
                await db.execute("BEGIN")
                await shared_log.lock(db, world.id)
                fenced = await node.fence(db, world.id, lease)
            if await leases.passed(fenced):
                async with db.pipeline():
                    if world.position > 0:
                        await shared_log.write_snapshot(db, generation, world.id, world.position,
                                                        world.snapshot())
                    await leases.release(db, world.id, node.registry.member, lease.epoch)
                    await db.execute("COMMIT")
        finally:
            if not db.closed and db.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                with contextlib.suppress(*DATABASE_ERRORS):
                    await db.execute("ROLLBACK")
    node.owners.forget(world.id)
