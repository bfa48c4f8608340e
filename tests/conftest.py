"""Shared fixtures: an app on a manual clock and a client that checks every answer against the spec.

`pytest --cluster` runs the same tests against two `serve --store postgresql://…` instances behind a
round-robin forwarder (tests/cluster_mode.py); tests marked `in_process` are skipped there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import cluster_mode
import pytest
from support import AUTH, CheckedClient, make_client


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--cluster",
        action="store_true",
        help="run the HTTP tests against two PostgreSQL-backed instances behind a round-robin forwarder",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--cluster"):
        os.environ[cluster_mode.ENV] = "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--cluster"):
        return
    skip = pytest.mark.skip(reason="reaches into the in-process app: not run against the cluster")
    for item in items:
        if item.get_closest_marker("in_process"):
            item.add_marker(skip)


def pytest_sessionfinish(session: pytest.Session) -> None:
    cluster_mode.close_pool()


@pytest.fixture
def client() -> Iterator[CheckedClient]:
    with make_client() as c:
        yield c


@pytest.fixture
def auth() -> dict[str, str]:
    return dict(AUTH)
