"""The SQL of ownership: instances and their heartbeats, each stream's lease, the keys that name a
workspace's stream, and what each workspace's owner last wrote of it for `GET /_mock/workspaces`.

A lease is held by an instance while that instance's row has not expired (`expires_at`, in the
database's own time, renewed by its heartbeat): one heartbeat renews every lease it holds. Every
change of owner bumps the stream's `epoch`; an append names the epoch it was handled under and the
head it follows (`cluster/batch.py`), so an instance that lost a lease can never append to it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from mock_server.cluster.shared_log import Connection

_LIVE = "SELECT 1 FROM batchcalls_instance i WHERE i.id = s.owner AND i.expires_at > clock_timestamp()"
_FREE = f"(s.owner = '' OR s.owner = %(me)s OR NOT EXISTS ({_LIVE}))"


@dataclass(frozen=True, slots=True)
class Beat:
    """What a heartbeat found: the other live instances and the database's generation."""

    peers: dict[str, str]  # instance id -> its URL
    generation: int


@dataclass(frozen=True, slots=True)
class Acquired:
    epoch: int
    head: int  # the last row of its log
    origin: bytes | None  # what its world was created with (None: the sandbox stream, the default)


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
    instance that asks, kept in the database (whoever reads it could read everything anyway)."""
    cursor = await db.execute(
        "WITH drawn AS (INSERT INTO batchcalls_meta VALUES ('instance_secret', %s)"
        "  ON CONFLICT (key) DO NOTHING RETURNING value)"
        " SELECT value FROM drawn UNION ALL SELECT value FROM batchcalls_meta WHERE key = 'instance_secret'",
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


async def acquire(
    db: Connection, stream: str, me: str, generation: int, *, inherent: bool
) -> Acquired | Held:
    """Take the stream's lease when nobody alive holds it (or this instance did: a new epoch all
    the same, so what it appended under the old one is fenced out). `inherent`: a stream created
    on first use (the sandbox's own, and every workspace's while the log is the record), and taken
    whoever held it in a generation that a reset of everything ended."""
    params = {"stream": stream, "me": me, "gen": generation}
    if inherent:
        take = (
            "INSERT INTO batchcalls_stream AS s (stream, generation, owner, epoch)"
            " SELECT %(stream)s, %(gen)s, %(me)s, 1"
            "  WHERE (SELECT value::integer FROM batchcalls_meta WHERE key = 'generation') = %(gen)s"
            " ON CONFLICT (stream) DO UPDATE SET owner = %(me)s, epoch = s.epoch + 1, generation = %(gen)s,"
            "  head = CASE WHEN s.generation < %(gen)s THEN 0 ELSE s.head END"  # a reset left it behind
            f"  WHERE s.generation < %(gen)s OR (s.generation = %(gen)s AND {_FREE})"
            " RETURNING s.epoch, s.head, s.origin"
        )
    else:
        take = (
            "UPDATE batchcalls_stream s SET owner = %(me)s, epoch = s.epoch + 1"
            f" WHERE s.stream = %(stream)s AND s.generation = %(gen)s AND {_FREE}"
            " RETURNING s.epoch, s.head, s.origin"
        )
    async with db.pipeline():
        taken = await db.execute(take, params)
        holder = await db.execute(
            "SELECT s.owner, i.url, s.generation FROM batchcalls_stream s LEFT JOIN batchcalls_instance i"
            " ON i.id = s.owner AND i.expires_at > clock_timestamp() WHERE s.stream = %(stream)s",
            params,
        )
    found = await taken.fetchone()
    if found is not None:
        return Acquired(int(found[0]), int(found[1]), None if found[2] is None else bytes(found[2]))
    held = await holder.fetchone()
    if held is None:
        return Held(None, None, None)
    owner, url, stream_generation = held
    return Held(owner if url is not None else None, url, int(stream_generation))


async def hand_over(db: Connection, me: str, streams: list[str] | None, to: str) -> list[str]:
    """Give this instance's leases of `streams` (None: every one) to `to` ('': to nobody)."""
    cursor = await db.execute(
        "UPDATE batchcalls_stream SET owner = %(to)s, epoch = epoch + 1"
        " WHERE owner = %(me)s AND (%(all)s OR stream = ANY(%(streams)s)) RETURNING stream",
        {"me": me, "to": to, "all": streams is None, "streams": streams or []},
    )
    return [str(row[0]) for row in await cursor.fetchall()]


async def holders(db: Connection, me: str, generation: int,
                  streams: list[str] | None) -> list[tuple[str, str | None, str | None]]:
    """The streams of `streams` (None: all) another instance holds, or nobody: (stream, owner,
    its URL while it is alive)."""
    cursor = await db.execute(
        "SELECT s.stream, nullif(s.owner, ''), i.url FROM batchcalls_stream s"
        " LEFT JOIN batchcalls_instance i ON i.id = s.owner AND i.expires_at > clock_timestamp()"
        " WHERE s.generation = %(gen)s AND s.owner <> %(me)s AND (%(all)s OR s.stream = ANY(%(streams)s))",
        {"me": me, "gen": generation, "all": streams is None, "streams": streams or []},
    )
    return [(str(s), o, u) for s, o, u in await cursor.fetchall()]


async def take_free(db: Connection, me: str, generation: int, streams: list[str] | None) -> list[str]:
    """Take every lease of `streams` (None: all) that nobody alive holds."""
    cursor = await db.execute(
        "UPDATE batchcalls_stream s SET owner = %(me)s, epoch = s.epoch + 1"
        f" WHERE s.generation = %(gen)s AND (%(all)s OR s.stream = ANY(%(streams)s)) AND {_FREE}"
        " RETURNING s.stream",
        {"me": me, "gen": generation, "all": streams is None, "streams": streams or []},
    )
    return [str(row[0]) for row in await cursor.fetchall()]


async def stream_of_keys(db: Connection, keys: list[str]) -> set[str]:
    """The streams the keys name (`scheme:key`)."""
    cursor = await db.execute("SELECT stream FROM batchcalls_key WHERE key = ANY(%s)", (keys,))
    return {str(row[0]) for row in await cursor.fetchall()}


async def summaries_since(db: Connection, generation: int, since: int) -> list[tuple[str, bytes, int]]:
    """What owners wrote of their workspaces since `since` (a position of the summaries' sequence)."""
    cursor = await db.execute(
        "SELECT stream, summary, summary_at FROM batchcalls_stream"
        " WHERE generation = %s AND summary_at > %s AND summary IS NOT NULL",
        (generation, since),
    )
    return [(str(s), bytes(b), int(at)) for s, b, at in await cursor.fetchall()]


async def owned_count(db: Connection) -> dict[str, int]:
    """How many leases each instance holds (for the benchmarks and tests)."""
    cursor = await db.execute("SELECT owner, count(*) FROM batchcalls_stream GROUP BY owner")
    return {str(o): int(c) for o, c in await cursor.fetchall()}
