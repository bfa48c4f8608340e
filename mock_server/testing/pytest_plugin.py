"""The pytest plugin of the sandbox for client developers (entry point `batchcalls_sandbox`).

Fixtures:
- `batchcalls_sandbox`: a `ClientSandbox` (client_sandbox.py) for the test. One sandbox per test
  by default; with `batchcalls_sandbox_scope = session` (ini) or `--batchcalls-sandbox-scope
  session`, one sandbox for the whole run, reset before each test (its clock back at the start).
- `batchcalls_sandbox_settings`: what the sandbox is started with (`start_at`, `seed`, any other
  `Settings` field); override it in a conftest.py to change them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mock_server.testing.client_sandbox import DEFAULT_START, ClientSandbox

SCOPES = ("function", "session")


def pytest_addoption(parser: pytest.Parser) -> None:
    help_text = (
        "batchcalls_sandbox: one sandbox per test (function, the default) or one reset per test (session)"
    )
    parser.addini("batchcalls_sandbox_scope", help_text, default="function")
    parser.addoption("--batchcalls-sandbox-scope", choices=SCOPES, default=None, help=help_text)


def _scope(fixture_name: str, config: pytest.Config) -> Any:
    chosen = config.getoption("--batchcalls-sandbox-scope") or config.getini("batchcalls_sandbox_scope")
    if chosen not in SCOPES:
        raise pytest.UsageError(f"batchcalls_sandbox_scope is {chosen!r}: use function or session")
    return chosen


@pytest.fixture(scope="session")
def batchcalls_sandbox_settings() -> dict[str, Any]:
    """`Settings` of the sandbox: a manual clock from Monday 2 March 2026, 08:00 UTC, seed 0."""
    return {"start_at": DEFAULT_START, "seed": 0}


@pytest.fixture(scope=_scope)
def _batchcalls_sandbox_server(batchcalls_sandbox_settings: dict[str, Any]) -> Iterator[ClientSandbox]:
    with ClientSandbox(**batchcalls_sandbox_settings) as sandbox:
        yield sandbox


@pytest.fixture
def batchcalls_sandbox(_batchcalls_sandbox_server: ClientSandbox) -> ClientSandbox:
    """The sandbox of this test, at its start: fresh, or reset (one request) when it is shared."""
    _batchcalls_sandbox_server.reset()
    return _batchcalls_sandbox_server
