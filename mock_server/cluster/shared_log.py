"""The SQL of a shared sandbox: each statement one instance runs against the shared database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from psycopg import AsyncConnection

from mock_server.cluster import binary_arrays as arrays
from mock_server.persistence.state_file import Entry, entry_row, row_entry

Connection = AsyncConnection[Any]

REMOVED = "-"  # the owner of a removed workspace's stream (no instance's id: those are hex)
_COLUMNS = "wall, at, catch_up, method, path, query, headers, body, request_id, fault, status"


@dataclass(frozen=True, slots=True)
class Row:
    entry: Entry  # entry.seq is the row's position in its stream
    salt: str | None


@dataclass(frozen=True, slots=True)
class Behind:
    """What an instance has not applied of a stream yet."""

    generation: int  # the database's current generation
    snapshot_at: int | None  # the position of the stream's latest snapshot, if it has one
    rows: list[Row]


class JournalRow(NamedTuple):
    """A row of `batchcalls_journal`: request journal entries of one workspace, in their order."""

    generation: int
    stream: str
    held: int  # how many entries it holds (what `--journal-size` counts)
    pickled: bytes  # the pickle of their list


SANDBOX_LOCK = 0x62617463  # with 0: the sandbox's own advisory lock (two keys: apart from streams')


async def lock(db: Connection, stream: str, *, everything: bool = False) -> None:
    """Until the transaction ends: the stream's advisory lock (one writer per workspace at a time),
    after the sandbox's lock, shared — or exclusive, for a reset of everything, which so waits for
    every write in flight in the cluster and holds new ones until it is committed."""
    take = "pg_advisory_xact_lock" if everything else "pg_advisory_xact_lock_shared"
    await db.execute(
        f"SELECT {take}(%s, 0), pg_advisory_xact_lock(hashtextextended(%s, 0))", (SANDBOX_LOCK, stream)
    )


async def behind(db: Connection, stream: str, after: int) -> Behind:
    """The rows of `stream` after position `after` in the current generation (one statement: a
    snapshot of the database taken after the lock, when the caller holds it)."""
    cursor = await db.execute(
        f"SELECT m.generation, s.n, l.n, {', '.join('l.' + c for c in _COLUMNS.split(', '))}, l.salt"
        " FROM (SELECT value::integer AS generation FROM batchcalls_meta WHERE key = 'generation') m"
        " LEFT JOIN batchcalls_snapshot s ON s.generation = m.generation AND s.stream = %(stream)s"
        " LEFT JOIN batchcalls_log l ON l.generation = m.generation AND l.stream = %(stream)s"
        "  AND l.n > %(after)s"
        " ORDER BY l.n",
        {"stream": stream, "after": after},
    )
    records = await cursor.fetchall()
    if not records:
        raise RuntimeError("the shared store has no generation: its batchcalls_meta table was emptied")
    generation, snapshot_at = records[0][0], records[0][1]
    rows = [Row(_entry(record[2:14]), record[14]) for record in records if record[2] is not None]
    return Behind(generation, snapshot_at, rows)


async def snapshot(db: Connection, generation: int, stream: str) -> tuple[int, bytes] | None:
    cursor = await db.execute(
        "SELECT n, state FROM batchcalls_snapshot WHERE generation = %s AND stream = %s", (generation, stream)
    )
    found = await cursor.fetchone()
    return None if found is None else (int(found[0]), bytes(found[1]))


async def append(
    db: Connection, generation: int, stream: str, n: int, entry: Entry, salt: str | None
) -> None:
    """Row `n` of the stream; the primary key refuses a second row `n` (a lost lock can't fork it)."""
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


async def write_snapshot(db: Connection, generation: int, stream: str, n: int, state: bytes) -> None:
    """The world after row `n`; the rows the previous snapshot covered are no longer needed (an
    instance further behind than that restores this snapshot)."""
    await db.execute(
        "DELETE FROM batchcalls_log WHERE generation = %s AND stream = %s AND n <= coalesce("
        " (SELECT n FROM batchcalls_snapshot WHERE generation = %s AND stream = %s), 0)",
        (generation, stream, generation, stream),
    )
    await db.execute(
        "INSERT INTO batchcalls_snapshot VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (generation, stream) DO UPDATE SET n = excluded.n, state = excluded.state",
        (generation, stream, n, state),
    )


async def forget_stream(
    db: Connection, generation: int, stream: str, wall: float, method: str, path: str
) -> None:
    """A deleted workspace: its rows, snapshot, journal and rate-limit window go, its lease is
    freed, and one row stays in its stream, its deletion (method and path, nothing else: it is
    recognised, never replayed), so that an instance still holding its world learns of it when it
    next catches the stream up.
    The caller holds the stream's advisory lock."""
    tombstone = Entry(wall, None, None, method, path, b"", [], b"", "", None, 204)
    await db.execute(
        f"INSERT INTO batchcalls_log (generation, stream, n, {_COLUMNS}, salt)"
        " SELECT %s, %s, coalesce(max(n), 0) + 1, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, NULL"
        " FROM batchcalls_log WHERE generation = %s AND stream = %s",
        (generation, stream, *entry_columns(tombstone), generation, stream),
    )
    await db.execute(
        "DELETE FROM batchcalls_log WHERE generation = %s AND stream = %s AND n < ("
        " SELECT max(n) FROM batchcalls_log WHERE generation = %s AND stream = %s)",
        (generation, stream, generation, stream),
    )
    for table in ("batchcalls_snapshot", "batchcalls_journal"):
        await db.execute(f"DELETE FROM {table} WHERE generation = %s AND stream = %s",  # noqa: S608
                         (generation, stream))
    await db.execute("DELETE FROM batchcalls_hits WHERE stream = %s", (stream,))
    # its lease held by nobody, and free to nobody (`leases.acquire`): in no instance's share
    await db.execute("UPDATE batchcalls_stream SET owner = %s WHERE stream = %s", (REMOVED, stream))


async def meta(db: Connection) -> dict[str, str]:
    cursor = await db.execute("SELECT key, value FROM batchcalls_meta")
    return {key: value for key, value in await cursor.fetchall()}


async def new_generation(db: Connection, origin: float, salt: str) -> int:
    """A reset of everything: a new generation with its origin and salt; everything older goes."""
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
    await db.execute("DELETE FROM batchcalls_hits")
    return generation


async def hit(db: Connection, stream: str, window_start: int) -> int:
    """Count one request of the workspace in its rate-limit window; returns the count so far."""
    cursor = await db.execute(
        "INSERT INTO batchcalls_hits VALUES (%s, %s, 1) ON CONFLICT (stream, window_start)"
        " DO UPDATE SET hits = batchcalls_hits.hits + 1 RETURNING hits",
        (stream, window_start),
    )
    found = await cursor.fetchone()
    assert found is not None
    return int(found[0])


# the request journal ---------------------------------------------------------------------------
# An entry's id is drawn when it is inserted, but seen when its transaction commits: each insert
# holds its workspaces' journal locks (after any stream lock, in order) until it commits, so a
# workspace's ids are committed in their order, and a reader that has seen id N of a workspace
# (`exchanges_after`) never finds a lower one committed later.
_JOURNAL_LOCKS = ("SELECT count(pg_advisory_xact_lock(hashtextextended('journal:' || j.stream, 0)))"
                  " AS streams FROM (SELECT DISTINCT stream FROM {streams} ORDER BY stream) j")
# The entries are read once, straight into the insert, in the order given (a function scan yields
# its rows in order, and each row's id is drawn as it is inserted): a CTE of them, or a sort by
# their position, would copy every entry to temporary files first (512 list pages of 40 KB: 20 MB
# written and read back twice), which held each workspace's journal lock that much longer.
_ADD_EXCHANGES = f"""
WITH locked AS ({_JOURNAL_LOCKS.format(streams="unnest(%b::text[]) AS given(stream)")})
INSERT INTO batchcalls_journal (generation, stream, n, entry)
SELECT e.generation, e.stream, e.n, e.entry
FROM unnest(%b::integer[], %b::text[], %b::integer[], %b::bytea[]) AS e(generation, stream, n, entry)
WHERE (SELECT streams FROM locked) > 0
"""


async def add_exchanges(db: Connection, rows: list[JournalRow]) -> None:
    """One statement, one row per workspace whose entries are written."""
    streams = arrays.texts([row.stream for row in rows])
    await db.execute(_ADD_EXCHANGES, [streams, arrays.int4s([row.generation for row in rows]), streams,
                                      arrays.int4s([row.held for row in rows]),
                                      arrays.byteas([row.pickled for row in rows])])


async def prune_exchanges(db: Connection, generation: int, stream: str, keep: int) -> None:
    """Only the newest rows of a workspace's journal that hold its newest `keep` entries stay (what
    `--journal-size` keeps; the oldest of them may hold more: up to one write's worth)."""
    await db.execute(
        "DELETE FROM batchcalls_journal WHERE generation = %(g)s AND stream = %(s)s AND id < ("
        " SELECT id FROM (SELECT id, sum(n) OVER (ORDER BY id DESC) AS newer"
        "  FROM batchcalls_journal WHERE generation = %(g)s AND stream = %(s)s) r"
        " WHERE newer >= %(keep)s ORDER BY id DESC LIMIT 1)",
        {"g": generation, "s": stream, "keep": keep},
    )


async def exchanges_after(
    db: Connection, generation: int, stream: str, after: int
) -> list[tuple[int, bytes]]:
    cursor = await db.execute(
        "SELECT id, entry FROM batchcalls_journal WHERE generation = %s AND stream = %s AND id > %s"
        " ORDER BY id",
        (generation, stream, after),
    )
    return [(int(i), bytes(entry)) for i, entry in await cursor.fetchall()]


async def clear_exchanges(db: Connection, generation: int, stream: str) -> None:
    await db.execute(
        "DELETE FROM batchcalls_journal WHERE generation = %s AND stream = %s", (generation, stream)
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


# owners' writes (`--ownership`) ------------------------------------------------------------------
_ROW_TYPES = {"stream": "text", "n": "bigint", "wall": "float8", "at": "float8", "catch_up": "float8",
              "method": "text", "path": "bytea", "query": "bytea", "headers": "bytea", "body": "bytea",
              "request_id": "text", "fault": "bytea", "status": "integer", "salt": "text"}
# Every array goes as binary, built by `cluster/binary_arrays.py`: psycopg writes an array of bytes
# as text escaped to hex (twice the bytes, and a Python loop: a sixth of an owner's CPU a read, for
# its journal entries), the others' text quoting cost a create about 8 % of an owner's CPU, and its
# own binary arrays another 16 µs a create (it looks through each list for its type, then dumps
# each element through a Python call).
_ARRAYS: dict[str, Callable[[list[Any]], bytes]] = {
    "text": arrays.texts, "bigint": arrays.int8s, "float8": arrays.float8s, "bytea": arrays.byteas,
    "integer": arrays.int4s,
}
_ROWS = ", ".join(f"%(r_{name})b::{kind}[]" for name, kind in _ROW_TYPES.items())
_OWNED_WRITES = f"""
WITH asked AS (
  SELECT * FROM unnest(%(f_stream)b::text[], %(f_epoch)b::bigint[], %(f_clear)b::boolean[])
    AS f(stream, epoch, clear)
), locked AS (  -- the sandbox's lock (shared) first, then each stream's, in order
  SELECT count(pg_advisory_xact_lock(hashtextextended(a.stream, 0))) AS streams
  FROM (SELECT stream FROM asked ORDER BY stream) a
  WHERE pg_advisory_xact_lock_shared(%(sandbox)s, 0) IS NOT NULL
), fence AS (
  SELECT s.stream, a.clear FROM batchcalls_stream s JOIN asked a ON a.stream = s.stream
  WHERE s.owner = %(me)s AND s.epoch = a.epoch AND s.generation = %(gen)s
    AND (SELECT streams FROM locked) > 0
    AND (SELECT value::integer FROM batchcalls_meta WHERE key = 'generation') = %(gen)s
  FOR SHARE OF s
), journal_locked AS (  -- then the journals' of those that passed (as a begun write: see add_exchanges)
  {_JOURNAL_LOCKS.format(streams="fence")}
), logged AS (
  INSERT INTO batchcalls_log (generation, {", ".join(_ROW_TYPES)})
  SELECT %(gen)s, r.* FROM unnest({_ROWS}) AS r({", ".join(_ROW_TYPES)})
  WHERE r.stream IN (SELECT stream FROM fence)
), cleared AS (
  DELETE FROM batchcalls_journal j USING fence f
  WHERE f.clear AND j.generation = %(gen)s AND j.stream = f.stream
), journaled AS (
  INSERT INTO batchcalls_journal (generation, stream, n, entry)
  SELECT %(gen)s, e.stream, e.n, e.entry
  FROM unnest(%(j_stream)b::text[], %(j_n)b::integer[], %(j_entry)b::bytea[]) WITH ORDINALITY
    AS e(stream, n, entry, k)
  WHERE e.stream IN (SELECT stream FROM fence) AND (SELECT streams FROM journal_locked) IS NOT NULL
  ORDER BY e.k
)
SELECT stream FROM fence
"""


@dataclass(slots=True)
class OwnedWrite:
    """What one request of a workspace its owner serves adds to the database (with others')."""

    stream: str
    epoch: int  # the lease it was handled under
    row: tuple[int, Entry, str | None] | None  # its row: position, entry, salt
    clear: bool  # the workspace's request journal starts again (before `journal`)
    journal: list[JournalRow]  # its workspace's request journal entries


async def owned_writes(db: Connection, generation: int, me: str, writes: list[OwnedWrite]) -> set[str]:
    """Writes of many workspaces in one statement (one transaction, one round trip; at most one
    write per stream): each is written only if this instance (`me`) still holds the stream's lease
    under its epoch in the current generation. Answers the streams written. The locks come first
    (the sandbox's, shared, then each stream's, in order), and the lease rows stay locked until the
    commit, so no lease changes hands under a write. A reset of everything that commits while the
    statement waits for the sandbox's lock is not seen by it: the write lands in the generation the
    reset ended, as if it had been made just before the reset (its instance is told of the reset,
    and rebuilds its copy)."""
    rows: dict[str, list[Any]] = {name: [] for name in _ROW_TYPES}
    for write in writes:
        if write.row is not None:
            n, entry, salt = write.row
            for name, value in zip(_ROW_TYPES, (write.stream, n, *entry_columns(entry), salt), strict=True):
                rows[name].append(value)
    journal = [entry for write in writes for entry in write.journal]
    params: dict[str, Any] = {
        "me": me, "gen": generation, "sandbox": SANDBOX_LOCK,
        "f_stream": arrays.texts([w.stream for w in writes]),
        "f_epoch": arrays.int8s([w.epoch for w in writes]),
        "f_clear": arrays.bools([w.clear for w in writes]),
        "j_stream": arrays.texts([row.stream for row in journal]),
        "j_n": arrays.int4s([row.held for row in journal]),
        "j_entry": arrays.byteas([row.pickled for row in journal]),
        **{f"r_{name}": _ARRAYS[kind](rows[name]) for name, kind in _ROW_TYPES.items()},
    }
    written = await db.execute(_OWNED_WRITES, params, prepare=True)  # one statement, one transaction
    return {str(found[0]) for found in await written.fetchall()}
