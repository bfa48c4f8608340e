"""Shared fixtures: an app on a manual clock and a client that checks every answer against the spec."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support import AUTH, CheckedClient, make_client


@pytest.fixture
def client() -> Iterator[CheckedClient]:
    with make_client() as c:
        yield c


@pytest.fixture
def auth() -> dict[str, str]:
    return dict(AUTH)
