"""One group commit: what the writes of many streams in flight on one instance add to the database,
as one statement (one round trip, one transaction, one flush of the WAL).

Each stream in it is fenced: its rows, snapshot and summary are written only if this instance still
holds its lease under the epoch they were handled in, and its log's head is where this instance
left it (so nothing of a stream whose earlier commit failed follows). A stream that fails the fence
is simply not written (nor its request journal entries: a stream with entries and no rows is in
the batch all the same, its head unchanged): the statement answers the streams that passed.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from typing import Any

from mock_server.cluster.shared_log import Connection, entry_columns
from mock_server.observe.request_journal import Raw
from mock_server.persistence.state_file import Entry


@dataclass(slots=True)
class StreamPart:
    """What one stream adds to a batch."""

    epoch: int
    before: int  # its head when this batch's first row is appended (its rows follow it)
    head: int
    summary: bytes | None = None
    snapshot: tuple[int, bytes] | None = None
    release: bool = False  # its lease goes back to nobody once written (idle, rebalanced, leaving)
    cleared: bool = False  # its request journal starts again (entries of before go)


@dataclass(slots=True)
class Batch:
    streams: dict[str, StreamPart] = field(default_factory=dict)
    rows: list[tuple[str, int, Entry, str | None]] = field(default_factory=list)
    journal: list[tuple[str, Raw]] = field(default_factory=list)
    created: list[tuple[str, bytes, list[str]]] = field(default_factory=list)  # stream, origin, keys

    def __bool__(self) -> bool:
        return bool(self.streams or self.journal)


_ROW_COLUMNS = ("stream", "n", "wall", "at", "catch_up", "method", "path", "query", "headers", "body",
                "request_id", "fault", "status", "salt")
_ROW_TYPES = ("text", "bigint", "float8", "float8", "float8", "text", "bytea", "bytea", "bytea", "bytea",
              "text", "bytea", "integer", "text")
_ROWS = ", ".join(f"%(r_{name})s::{kind}[]" for name, kind in zip(_ROW_COLUMNS, _ROW_TYPES, strict=True))

STATEMENT = f"""
WITH fence AS (
  UPDATE batchcalls_stream s SET head = f.head,
    owner = CASE WHEN f.release THEN '' ELSE s.owner END,
    epoch = CASE WHEN f.release THEN s.epoch + 1 ELSE s.epoch END,
    summary = coalesce(f.summary, s.summary),
    summary_at = CASE WHEN f.summary IS NULL THEN s.summary_at ELSE nextval('batchcalls_summary_seq') END
  FROM unnest(%(f_stream)s::text[], %(f_epoch)s::bigint[], %(f_before)s::bigint[], %(f_head)s::bigint[],
              %(f_summary)s::bytea[], %(f_release)s::boolean[])
    AS f(stream, epoch, before, head, summary, release)
  WHERE s.stream = f.stream AND s.generation = %(gen)s AND s.owner = %(me)s AND s.epoch = f.epoch
    AND s.head = f.before
  RETURNING s.stream
), logged AS (
  INSERT INTO batchcalls_log (generation, stream, n, wall, at, catch_up, method, path, query, headers, body,
                              request_id, fault, status, salt)
  SELECT %(gen)s, r.* FROM unnest({_ROWS}) AS r({", ".join(_ROW_COLUMNS)})
  WHERE r.stream IN (SELECT stream FROM fence)
), cleared AS (
  DELETE FROM batchcalls_journal j WHERE j.generation = %(gen)s AND j.stream = ANY(%(cleared)s::text[])
    AND j.stream IN (SELECT stream FROM fence)
), journaled AS (
  INSERT INTO batchcalls_journal (generation, stream, entry)
  SELECT %(gen)s, e.stream, e.entry FROM unnest(%(j_stream)s::text[], %(j_entry)s::bytea[])
    WITH ORDINALITY AS e(stream, entry, k)
  WHERE e.stream IN (SELECT stream FROM fence) ORDER BY e.k
), covered AS (
  DELETE FROM batchcalls_log l USING batchcalls_snapshot p
  WHERE p.generation = %(gen)s AND l.generation = %(gen)s AND p.stream = ANY(%(s_stream)s::text[])
    AND l.stream = p.stream AND l.n <= p.n AND p.stream IN (SELECT stream FROM fence)
), snapped AS (
  INSERT INTO batchcalls_snapshot (generation, stream, n, state)
  SELECT %(gen)s, p.stream, p.n, p.state
  FROM unnest(%(s_stream)s::text[], %(s_n)s::bigint[], %(s_state)s::bytea[])
    AS p(stream, n, state)
  WHERE p.stream IN (SELECT stream FROM fence)
  ON CONFLICT (generation, stream) DO UPDATE SET n = excluded.n, state = excluded.state
), created AS (
  INSERT INTO batchcalls_stream (stream, generation, origin)
  SELECT c.stream, %(gen)s, c.origin
  FROM unnest(%(c_stream)s::text[], %(c_origin)s::bytea[]) AS c(stream, origin)
  WHERE '' IN (SELECT stream FROM fence)
), keyed AS (
  INSERT INTO batchcalls_key (key, stream)
  SELECT k.key, k.stream FROM unnest(%(k_key)s::text[], %(k_stream)s::text[]) AS k(key, stream)
  WHERE '' IN (SELECT stream FROM fence)
)
SELECT stream FROM fence
"""


def parameters(batch: Batch, me: str, generation: int) -> dict[str, Any]:
    streams = batch.streams
    params: dict[str, Any] = {
        "me": me, "gen": generation,
        "f_stream": list(streams), "f_epoch": [p.epoch for p in streams.values()],
        "f_before": [p.before for p in streams.values()], "f_head": [p.head for p in streams.values()],
        "f_summary": [p.summary for p in streams.values()],
        "f_release": [p.release for p in streams.values()],
        "cleared": [s for s, p in streams.items() if p.cleared],
        "j_stream": [s for s, _ in batch.journal],
        "j_entry": [pickle.dumps(raw, protocol=pickle.HIGHEST_PROTOCOL) for _, raw in batch.journal],
        "s_stream": [s for s, p in streams.items() if p.snapshot is not None],
        "s_n": [p.snapshot[0] for p in streams.values() if p.snapshot is not None],
        "s_state": [p.snapshot[1] for p in streams.values() if p.snapshot is not None],
        "c_stream": [s for s, _, _ in batch.created], "c_origin": [o for _, o, _ in batch.created],
        "k_key": [k for _, _, keys in batch.created for k in keys],
        "k_stream": [s for s, _, keys in batch.created for _ in keys],
    }
    columns: list[list[Any]] = [[] for _ in _ROW_COLUMNS]
    for stream, n, entry, salt in batch.rows:
        for column, value in zip(columns, (stream, n, *entry_columns(entry), salt), strict=True):
            column.append(value)
    params.update({f"r_{name}": column for name, column in zip(_ROW_COLUMNS, columns, strict=True)})
    return params


async def commit(db: Connection, batch: Batch, me: str, generation: int) -> set[str]:
    """Write the batch; answers the streams written (those that passed the fence)."""
    cursor = await db.execute(STATEMENT, parameters(batch, me, generation), prepare=True)
    return {str(row[0]) for row in await cursor.fetchall()}
