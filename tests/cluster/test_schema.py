"""The shared store's tables as `prepare` makes them, on a real PostgreSQL."""

from __future__ import annotations

import threading

import psycopg

from mock_server.cluster.schema import prepare
from mock_server.settings import Settings

PAGE = b'{"data":[' + b",".join(b'{"id":"bc_%06d","status":"pending"}' % n for n in range(1200)) + b"]}"


def test_journal_entries_and_snapshots_are_compressed_with_lz4(database: str) -> None:
    """A list's journal entry is its 40 KB page: lz4 stores it for half PostgreSQL's CPU of pglz.
    (Debian's PostgreSQL has lz4; a server without it keeps pglz, and `prepare` still succeeds.)"""
    prepare(database, Settings())
    prepare(database, Settings())  # a second instance's start: nothing to change, nothing refused
    with psycopg.connect(database, autocommit=True) as db:  # a session opened after: as the pools'
        row = db.execute(
            "INSERT INTO batchcalls_journal (generation, stream, n, entry) VALUES (1, 'ws_x', 1, %s)"
            " RETURNING id",
            (PAGE,),
        ).fetchone()
        assert row is not None
        db.execute("INSERT INTO batchcalls_snapshot VALUES (1, 'ws_x', 1, %s)", (PAGE,))
        stored = db.execute(
            "SELECT j.entry, pg_column_compression(j.entry), pg_column_compression(s.state)"
            " FROM batchcalls_journal j, batchcalls_snapshot s WHERE j.id = %s", (row[0],)
        ).fetchone()
        assert stored is not None and bytes(stored[0]) == PAGE and stored[1:] == ("lz4", "lz4")


def test_an_instance_starting_on_an_older_store_takes_no_lock_the_serving_ones_wait_for(
    database: str,
) -> None:
    """A store prepared before lz4 (pglz), an instance serving on it with a transaction open on the
    journal and the snapshots: a new instance's `prepare` neither waits for it nor makes it wait
    (an ALTER TABLE would take both tables whole, in the opposite order to a request's)."""
    prepare(database, Settings())
    with psycopg.connect(database, autocommit=True) as db:
        db.execute(f"ALTER DATABASE {db.info.dbname} RESET default_toast_compression")
    with psycopg.connect(database) as serving:  # a request under way: snapshot read, journal written
        serving.execute("SELECT count(*) FROM batchcalls_snapshot")
        serving.execute("INSERT INTO batchcalls_journal (generation, stream, n, entry)"
                        " VALUES (1, 'ws_y', 1, 'x')")
        started = threading.Thread(target=prepare, args=(database, Settings()), daemon=True)
        started.start()
        started.join(10)
        waited = started.is_alive()
        serving.rollback()  # (lets a waiting `prepare` through, so the test ends either way)
        started.join(10)
    assert not waited
    with psycopg.connect(database, autocommit=True) as db:
        assert db.execute("SHOW default_toast_compression").fetchone() == ("lz4",)
