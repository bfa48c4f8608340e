"""Fixtures of the cluster tests: a throwaway PostgreSQL for the session (one per xdist worker), a
fresh database per test, and `serve --store` instances started on it, stopped at the test's end.

Without PostgreSQL's binaries this folder is not collected, and the run ends with one line saying
how to enable it (tests/conftest.py); with BATCHCALLS_REQUIRE_POSTGRES=1 (scripts/test, CI) the tests
run and fail instead, so a CI run can never pass without them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pg_cluster
import pytest
from instances import Instance, Pair, launch, pair_on, start_all, wait_until_up
from owned import OWNED


def throwaway() -> Iterator[pg_cluster.Postgres]:
    """A PostgreSQL started for the fixture's life; its failing to start fails the test."""
    try:
        cluster = pg_cluster.start()
    except RuntimeError as exc:
        pytest.fail(f"PostgreSQL could not start: {exc}", pytrace=False)
    yield cluster
    cluster.destroy()


@pytest.fixture(scope="session")
def postgres() -> Iterator[pg_cluster.Postgres]:
    yield from throwaway()


@pytest.fixture
def own_postgres(postgres: pg_cluster.Postgres) -> Iterator[pg_cluster.Postgres]:
    """A PostgreSQL of this test's own, to restart without disturbing the others (after the
    session's, which skips or fails the test when PostgreSQL is missing)."""
    yield from throwaway()


@pytest.fixture
def database(postgres: pg_cluster.Postgres) -> str:
    """A fresh empty database's connection string."""
    return postgres.new_database()


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


@pytest.fixture
def pair(database: str) -> Iterator[Callable[..., Pair]]:
    """Start two `serve --store DATABASE FLAGS` instances behind a forwarder, stopped at the end."""
    with contextlib.ExitStack() as stack:

        def start(*flags: str) -> Pair:
            return stack.enter_context(pair_on(database, *flags))

        yield start


@pytest.fixture
def two(database: str) -> Iterator[tuple[Instance, Instance]]:
    a, b = start_all(("--store", database, *OWNED), ("--store", database, *OWNED))
    try:
        yield a, b
    finally:
        a.stop()
        b.stop()
