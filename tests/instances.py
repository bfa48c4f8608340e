"""`batchcalls-mock serve` processes of the cluster tests and benchmarks: one instance, and a pair of
instances on one store behind a round-robin forwarder."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from round_robin import Forwarder, forwarding
from support import pinned


@dataclass
class Instance:
    """One `serve` process; `base` is its URL, `output` what it printed once stopped."""

    process: subprocess.Popen[str]
    base: str
    output: list[str] = field(default_factory=list)

    def kill(self) -> None:
        """kill -9: no shutdown, no flush."""
        self.process.kill()
        self.output += self.process.communicate(timeout=10)

    def stop(self) -> None:
        """SIGTERM, and what the process printed kept in `output`."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.output += self.process.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


OWNERSHIP_ENV = "BATCHCALLS_CLUSTER_OWNERSHIP"  # "1": pairs serve with `--ownership` (issue 23)


def ownership() -> tuple[str, ...]:
    """The flag a pair adds when OWNERSHIP_ENV asks for it (to run the suites in that mode)."""
    return ("--ownership",) if os.environ.get(OWNERSHIP_ENV) == "1" else ()


def launch(*flags: str) -> subprocess.Popen[str]:
    """A `serve` process (its clock starting at tests/support.py's START unless `flags` pin one)."""
    return subprocess.Popen(
        [sys.executable, "-m", "mock_server", "serve", "--port", "0", "--quiet", *pinned(flags)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


_LISTENING = "Batch Calls sandbox listening on http://127.0.0.1:"


def wait_until_up(process: subprocess.Popen[str]) -> str:
    """The base URL once the process answers; else an AssertionError with what it printed."""
    assert process.stdout is not None
    first = process.stdout.readline()
    base = first.rsplit(" ", 1)[1].strip() if first.startswith(_LISTENING) else ""
    deadline = time.monotonic() + 20
    while base and process.poll() is None and time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/_mock/health", timeout=2)
            return base
        except httpx.TransportError:
            time.sleep(0.02)
    process.kill()
    out, err = process.communicate(timeout=10)
    raise AssertionError(f"serve did not come up (exit status {process.returncode}): {first}{out}{err}")


@dataclass
class Pair:
    """Two instances on one database, and the round-robin forwarder in front of them."""

    a: Instance
    b: Instance
    url: str
    forwarder: Forwarder


def start_all(*commands: tuple[str, ...]) -> list[Instance]:
    """Start one instance per flag tuple, all at once (as `--workers` does: the store's schema is
    created by whichever comes first), and wait until every one answers."""
    processes = [launch(*flags) for flags in commands]
    instances = [Instance(process, "") for process in processes]
    try:
        for instance in instances:
            instance.base = wait_until_up(instance.process)
    except BaseException:
        for instance in instances:
            instance.stop()
        raise
    return instances


@contextlib.contextmanager
def pair_on(store: str, *flags: str) -> Iterator[Pair]:
    """Two `serve --store STORE FLAGS` instances behind a round-robin forwarder, for the block."""
    a, b = start_all(("--store", store, *ownership(), *flags), ("--store", store, *ownership(), *flags))
    try:
        with forwarding([a.base, b.base]) as (url, forwarder):
            yield Pair(a, b, url, forwarder)
    finally:
        a.stop()
        b.stop()


REQUEST_ID_FIELDS = {"request_id", "session_id"}  # each instance draws its own request ids


def without_request_ids(value: Any) -> Any:
    """An answer's JSON without what differs between instances by design."""
    if isinstance(value, dict):
        return {k: without_request_ids(v) for k, v in value.items() if k not in REQUEST_ID_FIELDS}
    if isinstance(value, list):
        return [without_request_ids(v) for v in value]
    return value


def workers(parent: int) -> set[int]:
    """The processes `serve --workers` forked (Linux: /proc)."""
    found: set[int] = set()
    for task in Path(f"/proc/{parent}/task").glob("*"):
        try:
            found |= {int(pid) for pid in (task / "children").read_text().split()}
        except OSError:
            continue
    return found


def listening_on(port: int, pids: set[int]) -> int:
    """Which of `pids` listens on loopback `port` (Linux: /proc/net/tcp, then each one's sockets)."""
    sockets = (line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:])
    inodes = {fields[9] for fields in sockets if fields[1] == f"0100007F:{port:04X}" and fields[3] == "0A"}
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").glob("*"):
            try:
                if fd.readlink().name.removeprefix("socket:[").removesuffix("]") in inodes:
                    return pid
            except OSError:
                continue
    raise AssertionError(f"nothing of {sorted(pids)} listens on port {port}")
