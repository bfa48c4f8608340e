"""The state file: an SQLite journal of the requests that changed state (WAL, synchronous=FULL).

The event loop submits; one writer thread commits, many submissions per transaction (group commit)
and always in submission order. `durable()` waits until everything submitted so far is on disk, so
an answer is never sent before the write it depends on could survive `kill -9`.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

FORMAT = "2"  # 2: one world per workspace (a wall-clock instant per row, `at` per world)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS requests (
    seq INTEGER PRIMARY KEY,
    wall REAL NOT NULL,      -- the wall-clock instant it was handled at (worlds it creates begin there)
    at REAL,                 -- the simulated instant of its workspace's world it was handled at
    catch_up REAL,           -- real clock: run the simulation up to here before this request
    method TEXT NOT NULL,
    path TEXT NOT NULL,      -- as the client sent it, percent-encoded (routing splits it first)
    query BLOB NOT NULL,
    headers BLOB NOT NULL,   -- JSON [[name, value], ...]
    body BLOB NOT NULL,
    request_id TEXT NOT NULL,
    fault BLOB,              -- JSON of the fault rule that fired on it, if one did
    status INTEGER NOT NULL  -- the status it was answered with (a replay is checked against it)
);
CREATE TABLE IF NOT EXISTS delivered (id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS snapshot (   -- the whole state after request `seq`; rows up to it are gone
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    state BLOB NOT NULL
);
"""
_INSERT = (
    "INSERT INTO requests"
    " (seq, wall, at, catch_up, method, path, query, headers, body, request_id, fault, status)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
Op = Callable[[sqlite3.Connection], Any]


class StateFileError(RuntimeError):
    """The state file cannot be written: answers would no longer survive a crash."""


class StateFileUnusable(ValueError):
    """The state file cannot be used at all (in use, damaged, not one): one sentence naming it."""


_SQLITE_HEADER = b"SQLite format 3\x00"
_TABLES = {"meta", "requests", "delivered"}


def _claim(path: Path) -> int:
    """The file opened (created when new) and locked for this process alone: an OS lock (flock),
    held until `StateFile.close` or the process ends, so a second server on it is refused."""
    if path.is_dir():
        raise StateFileUnusable(f"the state file {path} is a directory, not a file")
    if not path.parent.is_dir():
        raise StateFileUnusable(f"cannot create the state file {path}: its directory does not exist")
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StateFileUnusable(f"cannot open the state file {path}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise StateFileUnusable(
            f"the state file {path} is in use by another running sandbox: stop it, or use another file"
        ) from None
    return fd


def _check(path: Path, fd: int) -> None:
    """Refuse a file that is not a readable journal, before anything writes to it."""
    if os.fstat(fd).st_size == 0:
        return  # a new file
    if os.pread(fd, len(_SQLITE_HEADER), 0) != _SQLITE_HEADER:
        raise StateFileUnusable(f"the state file {path} is not a state file (not an SQLite database)")
    siblings = [Path(f"{path}-wal"), Path(f"{path}-shm")]
    created = [p for p in siblings if not p.exists()]
    try:
        _read_all(path)
    finally:
        wal = siblings[0]
        if created and (not wal.exists() or wal.stat().st_size == 0):
            for sibling in created:  # left by the read-only check, and empty: not ours to keep
                sibling.unlink(missing_ok=True)


def _read_all(path: Path) -> None:
    def damaged(why: object) -> StateFileUnusable:
        return StateFileUnusable(f"the state file {path} is damaged ({' '.join(str(why).split())})")

    try:
        # read-only: checking a damaged file must not change it (no recovery, no checkpoint)
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise damaged(exc) from None
    try:
        problems = [row[0] for row in db.execute("PRAGMA quick_check(1)")]
        if problems != ["ok"]:
            raise damaged(problems[0])
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            return
        if not _TABLES <= tables:
            listed = ", ".join(sorted(tables))
            raise StateFileUnusable(f"the state file {path} is not a state file (its tables: {listed})")
        # every row must replay: one overwritten in place is refused now, not halfway through
        # (checked inside SQLite: about 0.3 µs a row, where decoding in Python costs 6)
        broken = db.execute(
            "SELECT seq FROM requests WHERE NOT json_valid(CAST(headers AS TEXT))"
            " OR (fault IS NOT NULL AND NOT json_valid(CAST(fault AS TEXT))) LIMIT 1"
        ).fetchone()
        if broken is not None:
            raise damaged(f"request #{broken[0]} cannot be read")
    except sqlite3.Error as exc:
        raise damaged(exc) from None
    finally:
        db.close()


@dataclass(frozen=True, slots=True)
class Entry:
    wall: float
    at: float | None
    catch_up: float | None
    method: str
    path: str  # as the client sent it (percent-encoded): an encoded slash stays in its segment
    query: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes
    request_id: str
    fault: dict[str, Any] | None
    status: int
    seq: int = 0


def entry_row(entry: Entry) -> tuple[Any, ...]:
    headers = orjson.dumps([[k.decode("latin-1"), v.decode("latin-1")] for k, v in entry.headers])
    fault = orjson.dumps(entry.fault) if entry.fault is not None else None
    return (entry.wall, entry.at, entry.catch_up, entry.method, entry.path, entry.query, headers, entry.body,
            entry.request_id, fault, entry.status)


def row_entry(seq: int, wall: float, at: float | None, catch_up: float | None, method: str, path: str,
              query: bytes, headers: bytes, body: bytes, request_id: str, fault: bytes | None,
              status: int) -> Entry:
    """An entry from the columns `entry_row` wrote."""
    return Entry(
        wall, at, catch_up, method, path, bytes(query),
        [(k.encode("latin-1"), v.encode("latin-1")) for k, v in orjson.loads(headers)],
        bytes(body), request_id, orjson.loads(fault) if fault is not None else None, status, seq,
    )


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if not future.done():
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)


class StateFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_fd: int | None = _claim(path)
        try:
            _check(path, self._lock_fd)
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except BaseException:
            os.close(self._lock_fd)
            raise
        mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode != "wal":
            raise StateFileError(f"{path}: SQLite refused WAL mode ({mode})")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._cv = threading.Condition()
        self._queue: list[Op] = []
        self._submitted = 0
        self._committed = 0
        self._waiters: list[tuple[int, asyncio.Future[None], asyncio.AbstractEventLoop]] = []
        self._failure: BaseException | None = None
        self._closing = False
        self._thread: threading.Thread | None = None
        found = self._db.execute(
            "SELECT max(seq) FROM (SELECT max(seq) AS seq FROM requests UNION ALL SELECT seq FROM snapshot)"
        ).fetchone()[0]
        self.last_seq = int(found or 0)  # the number of the last row appended (numbers never repeat)

    # reading: at start-up, before the writer runs ---------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def snapshot(self) -> tuple[int, bytes] | None:
        """The latest snapshot: the seq it was taken after, and the state."""
        row = self._db.execute("SELECT seq, state FROM snapshot WHERE id = 1").fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]))

    def entries(self, after: int = 0) -> Iterator[Entry]:
        rows = self._db.execute(
            "SELECT seq, wall, at, catch_up, method, path, query, headers, body, request_id, fault, status"
            " FROM requests WHERE seq > ? ORDER BY seq",
            (after,),
        )
        for seq, *fields in rows:
            yield row_entry(seq, *fields)

    def delivered(self) -> set[str]:
        return {row[0] for row in self._db.execute("SELECT id FROM delivered")}

    def initialise(self, meta: dict[str, str]) -> None:
        """A new file: its settings and origin, written before anything else."""
        self._db.execute("BEGIN IMMEDIATE")
        self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(meta.items()))
        self._db.execute("COMMIT")

    # writing --------------------------------------------------------------------------------
    @property
    def failed(self) -> bool:
        return self._failure is not None

    def submit(self, op: Op) -> int:
        """Queue `op` for the writer; returns its number for `durable`."""
        if self._failure is not None:
            raise StateFileError(f"the state file {self.path} cannot be written") from self._failure
        with self._cv:
            self._queue.append(op)
            self._submitted += 1
            self._cv.notify()
            return self._submitted

    def append(self, entry: Entry) -> int:
        self.last_seq += 1
        row = (self.last_seq, *entry_row(entry))
        return self.submit(lambda db: db.execute(_INSERT, row))

    def write_snapshot(self, state: bytes) -> int:
        """The state after the last row appended; the rows it covers are deleted (compaction)."""
        seq = self.last_seq

        def op(db: sqlite3.Connection) -> None:
            db.execute("INSERT OR REPLACE INTO snapshot (id, seq, state) VALUES (1, ?, ?)", (seq, state))
            db.execute("DELETE FROM requests WHERE seq <= ?", (seq,))

        return self.submit(op)

    def set_meta(self, values: dict[str, str]) -> int:
        items = list(values.items())
        return self.submit(lambda db: db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", items))

    def mark_delivered(self, ids: list[str]) -> int:
        rows = [(i,) for i in ids]
        return self.submit(lambda db: db.executemany("INSERT OR IGNORE INTO delivered VALUES (?)", rows))

    def truncate(self, meta: dict[str, str]) -> int:
        """A reset: nothing before it matters any more."""
        items = list(meta.items())

        def op(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM requests")
            db.execute("DELETE FROM delivered")
            db.execute("DELETE FROM snapshot")
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", items)

        return self.submit(op)

    async def durable(self, upto: int | None = None) -> None:
        """Wait until submission `upto` (default: everything submitted so far) is committed."""
        target = self._submitted if upto is None else upto
        if self._committed >= target and self._failure is None:
            return
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._cv:
            if self._failure is not None:
                raise StateFileError(f"the state file {self.path} cannot be written") from self._failure
            if self._committed >= target:
                return
            self._waiters.append((target, future, loop))
        await future

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._write, name="state-file-writer", daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Commit what is queued, stop the writer and close the file."""
        self.start()
        with self._cv:
            self._closing = True
            self._cv.notify()
        assert self._thread is not None
        self._thread.join()
        self._db.close()
        if self._lock_fd is not None:  # after SQLite's own descriptor: closing ours drops the lock
            os.close(self._lock_fd)
            self._lock_fd = None

    def _write(self) -> None:
        while True:
            with self._cv:
                while not self._queue and not self._closing:
                    self._cv.wait()
                if not self._queue:
                    return
                batch, self._queue = self._queue, []
                last = self._submitted
            error: BaseException | None = None
            try:
                self._db.execute("BEGIN IMMEDIATE")
                for op in batch:
                    op(self._db)
                self._db.execute("COMMIT")
            except BaseException as exc:  # noqa: B036 - any failure must reach the waiting answers
                error = StateFileError(f"the state file {self.path} cannot be written: {exc}")
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
            with self._cv:
                if error is None:
                    self._committed = last
                    ready = [w for w in self._waiters if w[0] <= last]
                    self._waiters = [w for w in self._waiters if w[0] > last]
                else:
                    self._failure = error
                    ready, self._waiters = self._waiters, []
            for _, future, loop in ready:
                try:
                    loop.call_soon_threadsafe(_settle, future, error)
                except RuntimeError:  # that loop is closed: nobody waits any more
                    pass
            if error is not None:
                return
