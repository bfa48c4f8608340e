"""The pump of an instance of a shared sandbox: a real-clock world's events fell due with no
request. They run under the world's lock, as a catch-up row of its stream: whichever instance's
pump comes first (the others apply the row), or with `--ownership` the owner's."""

from __future__ import annotations

import logging
import time

from mock_server.cluster import shared_log
from mock_server.cluster.node import Node
from mock_server.cluster.outage import DATABASE_ERRORS, roll_back_open
from mock_server.cluster.ownership import LeaseLost
from mock_server.cluster.replica import Diverged, RebuildNeeded, catch_up_row
from mock_server.persistence.recording import CURRENT, Trace
from mock_server.wakeups import Wakeable

log = logging.getLogger("batchcalls.cluster")


async def run_due(node: Node, due: Wakeable) -> None:
    ran = False
    try:
        async with node.everything.shared(), node.lock_of(due.id), node.pool_connection() as db:
            try:
                lease = await node.lease(db, due.id)
                if node.owners is not None and lease is None:
                    return  # another instance's: its pump runs them
                world = await node.begin(db, due.id, True, False, lease)
                if world is None:
                    return
                generation = node.sandbox.generation
                token = CURRENT.set(Trace(time.time(), world.id))
                try:
                    ran = True
                    world.catch_up()
                finally:
                    CURRENT.reset(token)
                catch_up, world.pending_catch_up = world.pending_catch_up, None
                if catch_up is None:
                    return
                entry = catch_up_row(time.time(), catch_up)
                async with db.pipeline():
                    await shared_log.append(db, generation, world.id, world.position + 1, entry, None)
                    await db.execute("COMMIT")
                world.position += 1
            finally:
                await roll_back_open(db)
    except (RebuildNeeded, LeaseLost):
        return  # the next request rebuilds the copy (or its owner serves it): it runs what is due
    except (*DATABASE_ERRORS, Diverged) as exc:
        if ran:
            node.mark_stale()  # its events ran here but are in no row
        log.warning("workspace %s: due events not run (%s); the next request or wake-up runs them",
                    due.id, " ".join(str(exc).split()))
