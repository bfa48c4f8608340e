"""A state file the server cannot own or read stops it at start, in one sentence, exit 2, and the
file untouched (issue 11, defects 1 and 5). Driven through the command line, as a user would."""

from __future__ import annotations

import hashlib
import random
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx2 as httpx
import pytest
from support import API, AUTH, start_server


def serve(state_file: Path) -> subprocess.CompletedProcess[str]:
    """`serve` on this state file, expected to refuse at once (a start would time out)."""
    try:
        return subprocess.run(
            [sys.executable, "-m", "mock_server", "serve", "--port", "0", "--clock", "manual",
             "--state-file", str(state_file)],
            capture_output=True, text=True, timeout=20,
        )
    except subprocess.TimeoutExpired:
        raise AssertionError(f"a server started on {state_file}") from None


def refused(done: subprocess.CompletedProcess[str], state_file: Path, problem: str) -> None:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert str(state_file) in lines[0] and problem in lines[0], lines[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def a_used_state_file(tmp_path: Path, batches: int = 40) -> Path:
    state_file = tmp_path / "state.db"
    process, base = start_server("--clock", "manual", "--state-file", str(state_file))
    try:
        for n in range(batches):
            body = {"name": f"batch {n} " + "x" * 200, "agent_id": "agt_sandbox_ready"}
            created = httpx.post(f"{base}{API}/batch-calls", json=body, headers=AUTH, timeout=5)
            assert created.status_code == 201
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)
    return state_file


def test_a_second_server_on_the_same_state_file_is_refused(tmp_path: Path) -> None:
    state_file = tmp_path / "state.db"
    process, base = start_server("--clock", "manual", "--state-file", str(state_file))
    try:
        body = {"name": "first", "agent_id": "agt_sandbox_ready"}
        created = httpx.post(f"{base}{API}/batch-calls", json=body, headers=AUTH, timeout=5)
        assert created.status_code == 201
        refused(serve(state_file), state_file, "in use")
        # the first server carries on, and its file still holds its batch
        listed = httpx.get(f"{base}{API}/batch-calls", headers=AUTH, timeout=5).json()
        assert listed["pagination"]["total"] == 1
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)
    process, base = start_server("--clock", "manual", "--state-file", str(state_file))  # free again
    try:
        listed = httpx.get(f"{base}{API}/batch-calls", headers=AUTH, timeout=5).json()
        assert listed["pagination"]["total"] == 1
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)


def random_bytes(path: Path) -> None:
    path.write_bytes(random.Random(11).randbytes(64 * 1024))


def truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 100])


def overwritten_in_the_middle(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = 4096
    middle = (len(data) // page // 2) * page
    data[middle : middle + page] = random.Random(12).randbytes(page)
    path.write_bytes(bytes(data))


def an_unreadable_row(path: Path) -> None:
    import sqlite3

    with sqlite3.connect(path) as db:  # a valid database whose journal row no longer parses
        db.execute("UPDATE requests SET headers = ? WHERE seq = 3", (b'[["authorization", "Bea',))
    db.close()


def another_database(path: Path) -> None:
    import sqlite3

    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (text TEXT)")
        db.execute("INSERT INTO notes VALUES ('mine')")
    db.close()


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (random_bytes, "not a state file"),
        (truncated, "damaged"),
        (overwritten_in_the_middle, "damaged"),
        (an_unreadable_row, "request #3 cannot be read"),
        (another_database, "not a state file"),
    ],
)
def test_a_damaged_state_file_is_one_sentence_and_left_as_it_is(
    tmp_path: Path, damage: Callable[[Path], None], problem: str
) -> None:
    used = (truncated, overwritten_in_the_middle, an_unreadable_row)
    state_file = a_used_state_file(tmp_path) if damage in used else tmp_path / "state.db"
    damage(state_file)
    before = digest(state_file)
    refused(serve(state_file), state_file, problem)
    assert digest(state_file) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.db"]


def test_a_directory_or_a_missing_directory_is_one_sentence(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    refused(serve(folder), folder, "is a directory")
    missing = tmp_path / "nowhere" / "state.db"
    refused(serve(missing), missing, "does not exist")
    assert not (tmp_path / "nowhere").exists()
