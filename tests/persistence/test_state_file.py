"""The SQLite journal: group commit in submission order, answers held until durable, failures loud."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from mock_server.persistence.state_file import Entry, StateFile, StateFileError


def entry(n: int) -> Entry:
    return Entry(float(n), float(n), None, "POST", f"/x/{n}", b"", [(b"content-type", b"application/json")],
                 b"{}", f"req_{n}", None, 201)


def test_concurrent_submissions_commit_in_order(tmp_path: Path) -> None:
    journal = StateFile(tmp_path / "j.db")
    journal.start()

    async def submit_all() -> None:
        async def one(n: int) -> None:
            journal.append(entry(n))
            await journal.durable()

        await asyncio.gather(*[one(n) for n in range(300)])

    asyncio.run(submit_all())
    with sqlite3.connect(tmp_path / "j.db") as other:  # what survives is on disk, in order
        paths = [row[0] for row in other.execute("SELECT path FROM requests ORDER BY seq")]
    journal.close()
    assert paths == [f"/x/{n}" for n in range(300)]
    again = StateFile(tmp_path / "j.db")
    assert [e.request_id for e in again.entries()][:3] == ["req_0", "req_1", "req_2"]
    again.close()


def test_a_failed_write_fails_the_answers_waiting_for_it(tmp_path: Path) -> None:
    journal = StateFile(tmp_path / "j.db")
    journal.start()

    def broken(db: sqlite3.Connection) -> None:
        db.execute("INSERT INTO nowhere VALUES (1)")

    async def attempt() -> None:
        journal.submit(broken)
        await journal.durable()

    with pytest.raises(StateFileError):
        asyncio.run(attempt())
    with pytest.raises(StateFileError):
        journal.append(entry(1))
    journal.close()
