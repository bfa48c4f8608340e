"""The SQL of ownership: instances and their heartbeats, and each stream's lease.

A lease is held by an instance while that instance's row has not expired (`expires_at`, in the
database's own time, renewed by its heartbeat): one heartbeat renews every lease it holds. Every
change of owner bumps the stream's `epoch`, the fence every write to a workspace's stream passes in
its own transaction (`fence`): a write made under an old owner, or by an instance that never held
the lease, commits nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import AsyncCursor
from psycopg.pq import TransactionStatus

from mock_server.cluster.shared_log import REMOVED, Connection

_LIVE = "SELECT 1 FROM batchcalls_instance i WHERE i.id = s.owner AND i.expires_at > clock_timestamp()"
# a removed workspace's stream (`shared_log.forget_stream`) is held by nobody and taken by nobody in
# its generation: a request of it tried again after the removal took it back, and it counted in that
# instance's share (`held_by_live`) for good
_FREE = (f"(s.owner <> '{REMOVED}' AND (s.owner = '' OR s.owner = %(me)s OR NOT EXISTS ({_LIVE})))")


@dataclass(frozen=True, slots=True)
class Beat:
    """What a heartbeat found: the other live instances and the database's generation."""

    peers: dict[str, str]  # instance id -> its URL
    generation: int


@dataclass(frozen=True, slots=True)
class Acquired:
    epoch: int


@dataclass(frozen=True, slots=True)
class Held:
    """The stream is another live instance's, or in another generation, or does not exist."""

    owner: str | None  # the instance holding it ('' or None: nobody that is alive)
    url: str | None
    generation: int | None  # None: no such stream


async def heartbeat(db: Connection, me: str, url: str, lease_seconds: float) -> Beat:
    """Renew this instance's row (so every lease it holds) and read who else is alive."""
    cursor = await db.execute(
        "WITH beat AS (INSERT INTO batchcalls_instance (id, url, expires_at)"
        "  VALUES (%(me)s, %(url)s, clock_timestamp() + make_interval(secs => %(lease)s))"
        "  ON CONFLICT (id) DO UPDATE SET url = excluded.url, expires_at = excluded.expires_at RETURNING 1)"
        " SELECT i.id, i.url, (SELECT value::integer FROM batchcalls_meta WHERE key = 'generation'),"
        "  (SELECT count(*) FROM beat)"
        " FROM (SELECT '' AS id, '' AS url UNION ALL"
        "  SELECT id, url FROM batchcalls_instance WHERE expires_at > clock_timestamp() AND id <> %(me)s) i",
        {"me": me, "url": url, "lease": lease_seconds},
    )
    records = await cursor.fetchall()
    generation = int(records[0][2])
    return Beat({str(i): str(u) for i, u, _, _ in records if i}, generation)


async def instance_secret(db: Connection) -> str:
    """What proves a request was forwarded by an instance of this sandbox: drawn by the first
    instance that asks, kept in the database (whoever reads it could read everything anyway).
    `DO UPDATE`, not `DO NOTHING` and a read: an instance whose insert waited for another's sees
    that one's row only through the conflict (a read in the same statement has the snapshot taken
    before it was committed, and finds nothing)."""
    cursor = await db.execute(
        "INSERT INTO batchcalls_meta VALUES ('instance_secret', %s)"
        " ON CONFLICT (key) DO UPDATE SET value = batchcalls_meta.value RETURNING value",
        (secrets.token_urlsafe(32),),
    )
    found = await cursor.fetchone()
    assert found is not None
    return str(found[0])


async def leave(db: Connection, me: str) -> None:
    """This instance stops: whatever it still holds is free at once, and it is no longer alive."""
    async with db.transaction():
        await db.execute("UPDATE batchcalls_stream SET owner = '' WHERE owner = %s", (me,))
        await db.execute("DELETE FROM batchcalls_instance"
                         " WHERE id = %s OR expires_at < now() - interval '1 day'", (me,))


_TRANSACTION = ("BEGIN", "COMMIT", "ROLLBACK")
_SAVEPOINT = ("SAVEPOINT acquire", "RELEASE SAVEPOINT acquire",
              "ROLLBACK TO SAVEPOINT acquire; RELEASE SAVEPOINT acquire")


async def acquire(
    db: Connection, stream: str, me: str, generation: int, *, inherent: bool
) -> Acquired | Held:
    """Take the stream's lease when nobody alive holds it (or this instance did: a new epoch all
    the same, so what it appended under the old one is fenced out). `inherent`: a stream created
    on first use (the sandbox's own, and every workspace's while the log is the record), and taken
    whoever held it in a generation that a reset of everything ended.

    The row is locked by a statement of its own before the one that decides: a statement's
    snapshot is taken when it starts, so one that waited for the row would judge its holder's
    liveness as of before the wait, and could take the lease from an instance that registered and
    took it meanwhile."""
    params = {"stream": stream, "me": me, "gen": generation}
    current = "(SELECT value::integer FROM batchcalls_meta WHERE key = 'generation') = %(gen)s"
    if inherent:  # created free (epoch 0) if missing, and taken below as any free one
        take = (
            "UPDATE batchcalls_stream s SET owner = %(me)s, epoch = s.epoch + 1, generation = %(gen)s"
            f" WHERE s.stream = %(stream)s AND {current}"
            f"  AND (s.generation < %(gen)s OR (s.generation = %(gen)s AND {_FREE}))"  # or a reset left it
            " RETURNING s.epoch"
        )
    else:
        take = (
            "UPDATE batchcalls_stream s SET owner = %(me)s, epoch = s.epoch + 1"
            f" WHERE s.stream = %(stream)s AND s.generation = %(gen)s AND {_FREE}"
            " RETURNING s.epoch"
        )
    # one round trip: the transaction's own statements in the pipeline (psycopg's `transaction()`
    # sends BEGIN and COMMIT in round trips of their own); a savepoint inside a begun transaction
    begin, end, undo = _TRANSACTION if db.info.transaction_status == TransactionStatus.IDLE else _SAVEPOINT
    try:
        async with db.pipeline():
            await db.execute(begin)
            if inherent:
                await db.execute(
                    "INSERT INTO batchcalls_stream (stream, generation, owner, epoch)"
                    f" SELECT %(stream)s, %(gen)s, '', 0 WHERE {current} ON CONFLICT (stream) DO NOTHING",
                    params,
                )
            await db.execute("SELECT 1 FROM batchcalls_stream WHERE stream = %(stream)s FOR UPDATE", params)
            taken = await db.execute(take, params)
            holder = await db.execute(
                "SELECT s.owner, i.url, s.generation FROM batchcalls_stream s LEFT JOIN batchcalls_instance i"
                " ON i.id = s.owner AND i.expires_at > clock_timestamp() WHERE s.stream = %(stream)s",
                params,
            )
            await db.execute(end)
    except psycopg.Error:
        if db.info.transaction_status == TransactionStatus.INERROR:
            await db.execute(undo)
        raise
    found = await taken.fetchone()
    if found is not None:
        return Acquired(int(found[0]))
    held = await holder.fetchone()
    if held is None:
        return Held(None, None, None)
    owner, url, stream_generation = held
    return Held(owner if url is not None else None, url, int(stream_generation))


async def fence(db: Connection, stream: str, me: str, epoch: int, generation: int) -> AsyncCursor[Any]:
    """In a write's transaction (sent in its first round trip; read with `passed`): whether this
    instance still holds the stream's lease under `epoch`. The row stays locked until the
    transaction ends, so the lease cannot change hands while the write commits."""
    return await db.execute(
        "SELECT owner = %s AND epoch = %s AND generation = %s FROM batchcalls_stream WHERE stream = %s"
        " FOR SHARE",
        (me, epoch, generation, stream),
    )


async def pass_on(db: Connection, stream: str, me: str, epoch: int, to: str) -> None:
    """In a write's transaction, its fence passed: the stream is `to`'s from its commit on (a
    live instance, or '': nobody's, taken by the next instance a request of it reaches), under a
    new epoch."""
    await db.execute("UPDATE batchcalls_stream SET owner = %s, epoch = epoch + 1"
                     " WHERE stream = %s AND owner = %s AND epoch = %s", (to, stream, me, epoch))


async def held_by_live(db: Connection, generation: int, default: str) -> dict[str, int]:
    """How many workspaces' leases each live instance holds (the `default` workspace's aside)."""
    cursor = await db.execute(
        "SELECT i.id, count(s.stream) FROM batchcalls_instance i LEFT JOIN batchcalls_stream s"
        " ON s.owner = i.id AND s.generation = %s AND s.stream NOT IN ('', %s)"
        " WHERE i.expires_at > clock_timestamp() GROUP BY i.id",
        (generation, default),
    )
    return {str(instance): int(count) for instance, count in await cursor.fetchall()}


async def ask_rebalance(db: Connection) -> None:
    """An instance joined a cluster whose others hold workspaces: each instance is to hand over
    what it holds beyond its share (`rebalances_asked` counts the asks)."""
    await db.execute("INSERT INTO batchcalls_meta VALUES ('rebalances', '1') ON CONFLICT (key)"
                     " DO UPDATE SET value = (batchcalls_meta.value::bigint + 1)::text")


async def rebalances_asked(db: Connection) -> int:
    cursor = await db.execute("SELECT value FROM batchcalls_meta WHERE key = 'rebalances'")
    found = await cursor.fetchone()
    return 0 if found is None else int(found[0])


async def passed(cursor: AsyncCursor[Any]) -> bool:
    found = await cursor.fetchone()
    return found is not None and bool(found[0])


async def live_peers(db: Connection, me: str) -> list[str]:
    """The URLs of the other live instances, as the database sees them now."""
    cursor = await db.execute(
        "SELECT url FROM batchcalls_instance WHERE expires_at > clock_timestamp() AND id <> %s", (me,)
    )
    return [str(url) for url, in await cursor.fetchall()]
