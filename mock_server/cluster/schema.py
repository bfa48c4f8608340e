"""The database of a shared sandbox: its tables, and the check that an instance may use it.

Run once per instance at start-up, synchronously (before the server listens): a database written by
another version of the sandbox or with other settings is refused with one sentence.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson
import psycopg

from mock_server import __version__
from mock_server.persistence.middleware import fingerprint, setting_differences
from mock_server.settings import Settings

# Bumped whenever the tables or what a row means change: a database of another format is refused.
FORMAT = "3"  # 2: a journal row holds a list of entries (n of them); 3: an answer may be in parts
SCHEMA_LOCK = 0x6261_7463  # advisory lock key serialising schema creation and first initialisation

SCHEMA = """
CREATE TABLE IF NOT EXISTS batchcalls_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS batchcalls_log (
    generation integer NOT NULL,   -- bumped by a reset of everything: older rows no longer count
    stream text NOT NULL,          -- a workspace id, or '' for the sandbox's own (workspaces, reset all)
    n bigint NOT NULL,             -- position in the stream: 1, 2, 3… with no gaps
    wall double precision NOT NULL,
    at double precision,
    catch_up double precision,
    method text NOT NULL,          -- '' for a catch-up only (a real clock ran events, no request)
    path bytea NOT NULL,           -- UTF-8 (bytes: a path may hold a NUL, which text cannot)
    query bytea NOT NULL,
    headers bytea NOT NULL,
    body bytea NOT NULL,
    request_id text NOT NULL,
    fault bytea,
    status integer NOT NULL,
    salt text,                     -- a reset of everything: the salt it drew
    PRIMARY KEY (generation, stream, n)
);
CREATE TABLE IF NOT EXISTS batchcalls_snapshot (
    generation integer NOT NULL,
    stream text NOT NULL,
    n bigint NOT NULL,             -- the world after row n of its stream
    state bytea NOT NULL,
    PRIMARY KEY (generation, stream)
);
CREATE TABLE IF NOT EXISTS batchcalls_journal (
    id bigserial PRIMARY KEY,
    generation integer NOT NULL,
    stream text NOT NULL,
    entry bytea NOT NULL,          -- the pickle of a list of `n` entries, in their order
    n integer NOT NULL
);
CREATE TABLE IF NOT EXISTS batchcalls_attempt (
    key text PRIMARY KEY,          -- generation/workspace/incarnation/delivery/attempt
    owner text NOT NULL,           -- the instance that makes it
    claimed_at double precision NOT NULL,
    outcome bytea                  -- JSON of the attempt once made
);
CREATE TABLE IF NOT EXISTS batchcalls_hits (
    stream text NOT NULL,
    window_start bigint NOT NULL,
    hits integer NOT NULL,
    PRIMARY KEY (stream, window_start)
);
CREATE TABLE IF NOT EXISTS batchcalls_instance (
    id text PRIMARY KEY,           -- an instance (a process) serving the sandbox
    url text NOT NULL,             -- where the other instances reach it
    expires_at timestamptz NOT NULL  -- renewed by its heartbeat; past it, its leases are free
);
CREATE TABLE IF NOT EXISTS batchcalls_stream (
    stream text PRIMARY KEY,       -- a workspace id, or '' for the sandbox's own stream
    generation integer NOT NULL,
    owner text NOT NULL DEFAULT '',  -- the instance holding its lease ('' none), valid while that
                                   -- instance's row has not expired
    epoch bigint NOT NULL DEFAULT 0  -- bumped by every change of owner
);
DO $$
BEGIN
  -- An index is made only where it is missing: CREATE INDEX IF NOT EXISTS locks its table first
  -- (against every write of the instances already serving, for the whole of this transaction) and
  -- only then finds the index there.
  IF to_regclass('batchcalls_journal_stream') IS NULL THEN
    CREATE INDEX batchcalls_journal_stream ON batchcalls_journal (generation, stream, id);
  END IF;
  IF to_regclass('batchcalls_stream_owner') IS NULL THEN
    CREATE INDEX batchcalls_stream_owner ON batchcalls_stream (owner);
  END IF;
END $$;
DO $$
BEGIN
  -- The journal's entries (a list's is its 40 KB page) and the snapshots are compressed as they are
  -- stored: lz4 costs PostgreSQL half the CPU of its default, pglz (benchmarks/cluster.py: 27 -> 14 µs
  -- a list read). The database's default for new sessions, not the columns': an ALTER TABLE would
  -- lock the tables the instances already serving use. Where the server has no lz4 (or is older
  -- than 14), or the role may not alter the database, pglz as before.
  IF current_setting('default_toast_compression', true) IS DISTINCT FROM 'lz4' THEN
    EXECUTE format('ALTER DATABASE %I SET default_toast_compression = lz4', current_database());
  END IF;
EXCEPTION WHEN invalid_parameter_value OR undefined_object OR insufficient_privilege THEN
  RAISE NOTICE 'the sandbox store keeps pglz: %', SQLERRM;
END $$;
"""


class StoreUnusable(ValueError):
    """The database cannot serve this instance: unreachable, or written by another version or with
    other settings. One sentence; `serve` exits 2."""


@dataclass(frozen=True, slots=True)
class Origin:
    """What every instance of one sandbox must start from alike."""

    origin: float  # the wall-clock instant the current state began
    salt: str  # the secret of workspace keys
    generation: int


def where(url: str) -> str:
    """The database a URL names, without its password (for messages)."""
    parts = urlsplit(url)
    try:
        port = parts.port or 5432
    except ValueError:  # not a number: the driver says so in its own words
        port = 5432
    return f"{parts.hostname or 'localhost'}:{port}{parts.path or ''}"


def settings_of(settings: Settings) -> dict[str, Any]:
    found = fingerprint(settings)
    # a state file may be restarted at another speed or limit; instances serving at once may not:
    # real clocks would disagree on the time, and the limit would depend on the instance
    found["speed"] = settings.speed
    found["rate_limit"] = settings.rate_limit
    found["store_format"] = FORMAT
    return found


def prepare(url: str, settings: Settings) -> Origin:
    """Create the tables if they are missing, then check (or, first, write) the version and
    settings this database is for; returns where the shared state begins."""
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as db:
            with db.transaction():
                db.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
                db.execute(SCHEMA)
                meta: dict[str, str] = dict(db.execute("SELECT key, value FROM batchcalls_meta").fetchall())
                owners = db.execute(
                    "SELECT count(*) FROM batchcalls_instance WHERE expires_at > clock_timestamp()"
                ).fetchone()
                expected = orjson.dumps(settings_of(settings)).decode()
                if not meta:
                    meta = {"version": __version__, "settings": expected, "origin": repr(time.time()),
                            "salt": secrets.token_hex(16), "generation": "1"}
                    with db.cursor() as cursor:
                        cursor.executemany("INSERT INTO batchcalls_meta VALUES (%s, %s)", list(meta.items()))
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise StoreUnusable(f"cannot use the PostgreSQL store at {where(url)}: {reason}") from None
    missing = sorted({"version", "settings", "origin", "salt", "generation"} - set(meta))
    if missing:
        raise StoreUnusable(
            f"the PostgreSQL store at {where(url)} is not a sandbox's store as this version writes it "
            f"(its batchcalls_meta lacks {', '.join(missing)}): use another database"
        )
    if meta["version"] != __version__:
        raise StoreUnusable(
            f"the PostgreSQL store at {where(url)} was written by sandbox version {meta['version']} "
            f"(this is {__version__}): use another database, or the same version"
        )
    differences = setting_differences(orjson.loads(meta["settings"]), orjson.loads(expected), "store")
    if differences:
        raise StoreUnusable(
            f"the PostgreSQL store at {where(url)} was written with other settings ({differences}); "
            "start with the same flags, or use another database"
        )
    alive = owners[0] if owners else 0
    if alive and not settings.ownership:
        # an owner serves its workspaces from memory: writes this instance appended to their logs
        # would go unseen by its reads (an instance with --ownership cannot see one without it, which
        # registers nowhere: README, "Hosting a shared sandbox")
        who = f"{alive} instances with --ownership serve" if alive > 1 else (
            "1 instance with --ownership serves")
        raise StoreUnusable(
            f"{who} the PostgreSQL store at {where(url)}: start this one with --ownership too, or stop "
            f"{'them' if alive > 1 else 'it'} first"
        )
    return Origin(float(meta["origin"]), meta["salt"], int(meta["generation"]))
