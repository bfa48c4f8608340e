"""`/_mock/mcp` of a shared sandbox: two `serve --store` instances behind a round-robin forwarder
answer one assistant's walk-through (stateless: any instance answers any message), and a tool's
requests do not wait on the lock of the MCP request that made them (the endpoint is in front of
the store's middleware, not behind it)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from assistant import START_AT, converse, over_http, walk_through
from instances import Pair


def test_an_assistant_runs_the_walkthrough_on_two_instances(pair: Callable[..., Pair]) -> None:
    shared = pair("--clock", "manual", "--start-at", START_AT)
    seen = converse(partial(over_http, shared.url), walk_through)
    assert seen["final"]["status"] == "completed" and seen["creates"] == 1
    assert seen["analytics"]["successful_contacts"] == seen["final"]["successful_contacts"]
