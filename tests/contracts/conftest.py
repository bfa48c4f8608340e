"""The kit's tests start sandboxes through the plugin's `contract_sandbox` fixture: here their
simulated clocks start at tests/support.py's START (a Monday morning) unless a test says otherwise,
so that no suite's outcome depends on the day of the week it runs on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from support import START

from contracts.inprocess import API_BASE_PATH, sandbox


@pytest.fixture
def contract_sandbox() -> Iterator[Callable[..., str]]:
    with ExitStack() as stack:
        yield lambda **settings: stack.enter_context(sandbox(**{"start_at": START, **settings}))


@pytest.fixture(scope="session")
def contract_base_url(request: pytest.FixtureRequest) -> Iterator[str]:
    given: str | None = request.config.getoption("--contract-base-url")
    if given:
        yield given
        return
    with sandbox(start_at=START) as base_url:
        yield base_url.removesuffix(API_BASE_PATH)
