"""The shared store's tables as `prepare` makes them, on a real PostgreSQL."""

from __future__ import annotations

import psycopg

from mock_server.cluster.schema import prepare
from mock_server.settings import Settings


def test_journal_entries_and_snapshots_are_compressed_with_lz4(database: str) -> None:
    """A list's journal entry is its 40 KB page: lz4 stores it for half PostgreSQL's CPU of pglz.
    (Debian's PostgreSQL has lz4; a server without it keeps pglz, and `prepare` still succeeds.)"""
    prepare(database, Settings())
    prepare(database, Settings())  # a second instance's start: nothing to change, nothing refused
    page = b'{"data":[' + b",".join(b'{"id":"bc_%06d","status":"pending"}' % n for n in range(1200)) + b"]}"
    with psycopg.connect(database, autocommit=True) as db:
        methods = dict(db.execute(
            "SELECT attrelid::regclass::text, attcompression FROM pg_attribute WHERE (attrelid, attname) IN"
            " (('batchcalls_journal'::regclass, 'entry'), ('batchcalls_snapshot'::regclass, 'state'))"
        ).fetchall())
        assert methods == {"batchcalls_journal": "l", "batchcalls_snapshot": "l"}
        row = db.execute(
            "INSERT INTO batchcalls_journal (generation, stream, entry) VALUES (1, 'ws_x', %s)"
            " RETURNING id", (page,)
        ).fetchone()
        assert row is not None
        stored = db.execute(
            "SELECT entry, pg_column_compression(entry) FROM batchcalls_journal WHERE id = %s", (row[0],)
        ).fetchone()
        assert stored is not None and bytes(stored[0]) == page and stored[1] == "lz4"
