"""Fixtures of the cluster tests: a throwaway PostgreSQL for the session (one per xdist worker), a
fresh database per test, and `serve --store` instances started on it, stopped at the test's end.

Without PostgreSQL's binaries these tests skip with one line; with BATCHCALLS_REQUIRE_POSTGRES=1 (CI)
they fail instead, so a CI run can never pass without them.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pg_cluster
import pytest
from round_robin import Forwarder, forwarding


@pytest.fixture(scope="session")
def postgres() -> Iterator[pg_cluster.Postgres]:
    if pg_cluster.bin_dir() is None and not pg_cluster.required():
        pytest.skip(pg_cluster.HOW_TO_ENABLE)
    try:
        cluster = pg_cluster.start()
    except RuntimeError as exc:
        pytest.fail(f"PostgreSQL could not start: {exc}", pytrace=False)
    yield cluster
    cluster.destroy()


@pytest.fixture
def database(postgres: pg_cluster.Postgres) -> str:
    """A fresh empty database's connection string."""
    return postgres.new_database()


@dataclass
class Instance:
    """One `serve` process; `base` is its URL, `output` what it printed once stopped."""

    process: subprocess.Popen[str]
    base: str
    output: list[str] = field(default_factory=list)

    def kill(self) -> None:
        """kill -9: no shutdown, no flush."""
        self.process.kill()
        self.process.communicate(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def launch(*flags: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mock_server", "serve", "--port", "0", "--quiet", *flags],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def wait_until_up(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    first = process.stdout.readline()
    if not first.startswith("Batch Calls sandbox listening on http://127.0.0.1:"):
        process.kill()
        out, err = process.communicate(timeout=10)
        raise AssertionError(f"serve did not start: {first}{out}{err}")
    base = first.rsplit(" ", 1)[1].strip()
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(f"{base}/_mock/health", timeout=2)
            return base
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the server did not come up"
            time.sleep(0.02)


@pytest.fixture
def serve() -> Iterator[Callable[..., Instance]]:
    """Start `batchcalls-mock serve --port 0 --quiet FLAGS`, up and answering; stopped at the end."""
    started: list[Instance] = []

    def start(*flags: str) -> Instance:
        process = launch(*flags)
        instance = Instance(process, "")
        started.append(instance)
        instance.base = wait_until_up(process)
        return instance

    yield start
    for instance in started:
        instance.stop()


@dataclass
class Pair:
    """Two instances on one database, and the round-robin forwarder in front of them."""

    a: Instance
    b: Instance
    url: str
    forwarder: Forwarder


@pytest.fixture
def pair(database: str, serve: Callable[..., Instance]) -> Iterator[Callable[..., Pair]]:
    """Start two `serve --store DATABASE FLAGS` instances behind a forwarder (the first one alone
    first: it creates the schema)."""
    with contextlib.ExitStack() as stack:

        def start(*flags: str) -> Pair:
            a = serve("--store", database, *flags)
            b = serve("--store", database, *flags)
            url, forwarder = stack.enter_context(forwarding([a.base, b.base]))
            return Pair(a, b, url, forwarder)

        yield start
