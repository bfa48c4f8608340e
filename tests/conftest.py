"""Shared fixtures: an app on a manual clock and a client that checks every answer against the spec.

`pytest --cluster` runs the same tests against two `serve --store postgresql://…` instances behind a
round-robin forwarder (tests/cluster_mode.py); tests marked `in_process` are skipped there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import cluster_mode
import pg_cluster
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
    # the long tests first: one worker starts them at once and the others take the rest (with
    # `--dist worksteal`, as scripts/test runs), instead of one of them ending the run alone
    items.sort(key=lambda item: item.get_closest_marker("long") is None)
    if _without_postgres():  # named on the command line, tests/cluster was collected anyway
        cluster = Path(__file__).parent / "cluster"
        left_out = [item for item in items if cluster in item.path.parents]
        if left_out:
            config.hook.pytest_deselected(items=left_out)
            items[:] = [item for item in items if cluster not in item.path.parents]
    if not config.getoption("--cluster"):
        return
    skip = pytest.mark.skip(reason="needs an in-process app: not run against the cluster")
    for item in items:
        if item.get_closest_marker("in_process"):
            item.add_marker(skip)
        if (known := item.get_closest_marker("cluster_xfail")) is not None:
            item.add_marker(pytest.mark.xfail(strict=True, reason=known.args[0]))


def _without_postgres() -> bool:
    return pg_cluster.bin_dir() is None and not pg_cluster.required()


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """tests/cluster needs PostgreSQL: without it (and unless required), it is left out whole, and
    the run ends with one line saying how to enable it."""
    if collection_path == Path(__file__).parent / "cluster" and _without_postgres():
        return True
    return None


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    if _without_postgres():
        terminalreporter.write_line(f"tests/cluster skipped: {pg_cluster.HOW_TO_ENABLE}")


def pytest_sessionfinish(session: pytest.Session) -> None:
    cluster_mode.close_pool()


@pytest.fixture
def client() -> Iterator[CheckedClient]:
    with make_client() as c:
        yield c


@pytest.fixture
def auth() -> dict[str, str]:
    return dict(AUTH)

