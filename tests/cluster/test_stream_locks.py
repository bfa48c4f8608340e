"""An instance's lock per stream: one holder at a time per workspace, and kept only while in use."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from mock_server.cluster.replica import Replica


def test_a_stream_has_one_holder_at_a_time_and_its_lock_goes_once_nobody_uses_it() -> None:
    replica = Replica(cast(Any, None), cast(Any, None))  # (the locks need neither sandbox nor scopes)
    seen: list[str] = []

    async def hold(stream: str, tag: str) -> None:
        async with replica.lock_of(stream):
            seen.append(f"{tag}+")
            await asyncio.sleep(0.01)
            seen.append(f"{tag}-")

    async def scenario() -> None:
        await asyncio.gather(hold("ws_a", "a1"), hold("ws_a", "a2"), hold("ws_b", "b"))
        assert replica.locks_kept == 0
        for n in range(5000):  # workspaces served once each, one after the other
            async with replica.lock_of(f"ws_{n}"):
                assert replica.locks_kept == 1

    asyncio.run(scenario())
    # the two holders of ws_a one after the other; ws_b's beside them
    assert seen.index("a1-") < seen.index("a2+")
    assert seen.index("b+") < seen.index("a1-")
    assert replica.locks_kept == 0
