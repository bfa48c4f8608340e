"""The SQL of a shared sandbox's log: reading a stream's rows and snapshot, its request journal, a
new generation, a deleted workspace, and webhook attempt claims. (Appends go in a group commit:
`cluster/batch.py`; leases and instances: `cluster/leases.py`.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection

from mock_server.persistence.state_file import Entry, entry_row, row_entry

Connection = AsyncConnection[Any]

_COLUMNS = "wall, at, catch_up, method, path, query, headers, body, request_id, fault, status"


@dataclass(frozen=True, slots=True)
class Row:
    entry: Entry  # entry.seq is the row's position in its stream
    salt: str | None


async def rows_after(db: Connection, generation: int, stream: str, after: int, head: int) -> list[Row]:
    """The stream's rows after position `after`, up to `head` (its last, as its lease said)."""
    cursor = await db.execute(
        f"SELECT n, {_COLUMNS}, salt FROM batchcalls_log"
        " WHERE generation = %s AND stream = %s AND n > %s AND n <= %s ORDER BY n",
        (generation, stream, after, head),
    )
    return [Row(_entry(record[:12]), record[12]) for record in await cursor.fetchall()]


async def snapshot(db: Connection, generation: int, stream: str) -> tuple[int, bytes] | None:
    cursor = await db.execute(
        "SELECT n, state FROM batchcalls_snapshot WHERE generation = %s AND stream = %s", (generation, stream)
    )
    found = await cursor.fetchone()
    return None if found is None else (int(found[0]), bytes(found[1]))


async def append(
    db: Connection, generation: int, stream: str, n: int, entry: Entry, salt: str | None
) -> None:
    """Row `n` of the stream; the primary key refuses a second row `n`."""
    await db.execute(
        f"INSERT INTO batchcalls_log (generation, stream, n, {_COLUMNS}, salt)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (generation, stream, n, *entry_columns(entry), salt),
    )


def entry_columns(entry: Entry) -> tuple[Any, ...]:
    """A row's columns (`_COLUMNS`) of an entry; its path as UTF-8 bytes (a path may hold a NUL)."""
    columns = list(entry_row(entry))
    columns[4] = entry.path.encode("utf-8", "surrogatepass")
    return tuple(columns)


def _entry(record: tuple[Any, ...]) -> Entry:
    fields = list(record)
    fields[5] = bytes(fields[5]).decode("utf-8", "surrogatepass")
    return row_entry(*fields)


async def forget_stream(db: Connection, generation: int, stream: str) -> None:
    """A deleted workspace: its rows, snapshot, journal, lease and keys go. The caller holds its
    lease (no instance serves it any more), in the transaction of the deletion's row."""
    for table in ("batchcalls_log", "batchcalls_snapshot", "batchcalls_journal"):
        await db.execute(f"DELETE FROM {table} WHERE generation = %s AND stream = %s",  # noqa: S608
                         (generation, stream))
    await db.execute("DELETE FROM batchcalls_stream WHERE stream = %s", (stream,))
    await db.execute("DELETE FROM batchcalls_key WHERE stream = %s", (stream,))


async def meta(db: Connection) -> dict[str, str]:
    cursor = await db.execute("SELECT key, value FROM batchcalls_meta")
    return {key: value for key, value in await cursor.fetchall()}


async def new_generation(db: Connection, origin: float, salt: str, me: str) -> int:
    """A reset of everything: a new generation with its origin and salt; everything older goes, and
    the sandbox stream starts again, held by this instance, its row 1 the reset (appended next).
    The caller holds every lease (no instance serves anything of the old generation)."""
    cursor = await db.execute(
        "UPDATE batchcalls_meta SET value = (value::integer + 1)::text WHERE key = 'generation'"
        " RETURNING value::integer"
    )
    found = await cursor.fetchone()
    assert found is not None
    generation = int(found[0])
    await db.execute(
        "UPDATE batchcalls_meta SET value = CASE key WHEN 'origin' THEN %s ELSE %s END"
        " WHERE key IN ('origin', 'salt')",
        (repr(origin), salt),
    )
    for table in ("batchcalls_log", "batchcalls_snapshot", "batchcalls_journal"):
        await db.execute(f"DELETE FROM {table} WHERE generation < %s", (generation,))  # noqa: S608
    await db.execute("DELETE FROM batchcalls_stream")
    await db.execute("DELETE FROM batchcalls_key")
    await db.execute("INSERT INTO batchcalls_stream (stream, generation, owner, epoch, head)"
                     " VALUES ('', %s, %s, 1, 1)", (generation, me))
    return generation


# the request journal ---------------------------------------------------------------------------
async def latest_exchanges(db: Connection, generation: int, stream: str, keep: int) -> list[bytes]:
    """The newest `keep` entries of a workspace's request journal, oldest first."""
    cursor = await db.execute(
        "SELECT entry FROM batchcalls_journal WHERE generation = %s AND stream = %s ORDER BY id DESC LIMIT %s",
        (generation, stream, keep),
    )
    return [bytes(row[0]) for row in reversed(await cursor.fetchall())]


async def prune_exchanges(db: Connection, generation: int, stream: str, keep: int) -> None:
    """Only the newest `keep` entries of a workspace's journal stay (what `--journal-size` keeps)."""
    await db.execute(
        "DELETE FROM batchcalls_journal WHERE generation = %(g)s AND stream = %(s)s AND id <= ("
        " SELECT id FROM batchcalls_journal WHERE generation = %(g)s AND stream = %(s)s"
        " ORDER BY id DESC OFFSET %(keep)s LIMIT 1)",
        {"g": generation, "s": stream, "keep": keep},
    )


# webhook attempts ------------------------------------------------------------------------------
async def claim(db: Connection, key: str, owner: str, now: float) -> bool:
    """Whether this instance makes the attempt `key` (the first to claim it does)."""
    cursor = await db.execute(
        "INSERT INTO batchcalls_attempt VALUES (%s, %s, %s, NULL) ON CONFLICT (key) DO NOTHING RETURNING 1",
        (key, owner, now),
    )
    return await cursor.fetchone() is not None


async def settle(db: Connection, key: str, outcome: bytes) -> None:
    await db.execute("UPDATE batchcalls_attempt SET outcome = %s WHERE key = %s", (outcome, key))


async def attempt(db: Connection, key: str) -> tuple[str, float, bytes | None] | None:
    """Who claimed the attempt, when, and its outcome once made."""
    cursor = await db.execute(
        "SELECT owner, claimed_at, outcome FROM batchcalls_attempt WHERE key = %s", (key,)
    )
    found = await cursor.fetchone()
    if found is None:
        return None
    return found[0], float(found[1]), None if found[2] is None else bytes(found[2])
