"""contracts/coalesced_writes.py: a connection's writes leave in one system call, and no byte waits past
the callback queued with the first (the HTTP suites run every answer through it under `serve`)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import uvicorn
from recording_transport import Recording
from uvicorn.server import ServerState

from contracts.bounded_heads import bounded_heads
from contracts.coalesced_writes import FLUSH_BYTES, CoalescedWrites


def wrapped() -> tuple[CoalescedWrites, Recording]:
    recording = Recording()
    return CoalescedWrites(cast(asyncio.Transport, recording), asyncio.get_running_loop()), recording


def test_a_head_and_its_body_leave_together() -> None:
    async def scenario() -> list[tuple[str, Any]]:
        writes, recording = wrapped()
        writes.write(b"HTTP/1.1 200 OK\r\n\r\n")
        assert recording.calls == [] and writes.get_write_buffer_size() == 19
        writes.write(b"{}")
        await asyncio.sleep(0)
        return recording.calls

    assert asyncio.run(scenario()) == [("writelines", [b"HTTP/1.1 200 OK\r\n\r\n", b"{}"])]


def test_a_lone_write_leaves_at_the_end_of_the_turn() -> None:
    async def scenario() -> list[tuple[str, Any]]:
        writes, recording = wrapped()
        buffer = bytearray(b"HTTP/1.1 100 Continue\r\n\r\n")
        writes.write(buffer)
        buffer[:] = b"reused"  # what was handed over is what leaves
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return recording.calls

    assert asyncio.run(scenario()) == [("write", b"HTTP/1.1 100 Continue\r\n\r\n")]


def test_the_answers_of_one_turn_leave_together_at_its_end() -> None:
    """Two connections answered in one turn: nothing leaves until its end (the client is woken once
    for both), then each connection's answer leaves in one call."""

    async def scenario() -> tuple[list[Any], list[Any]]:
        (first, first_sent), (second, second_sent) = wrapped(), wrapped()
        first.write(b"HTTP/1.1 200 OK\r\n\r\n")
        first.write(b"{}")
        second.write(b"HTTP/1.1 201 Created\r\n\r\n")
        second.write(b"[]")
        during = (list(first_sent.calls), list(second_sent.calls))
        assert during == ([], []), during
        await asyncio.sleep(0)
        return first_sent.calls, second_sent.calls

    assert asyncio.run(scenario()) == (
        [("writelines", [b"HTTP/1.1 200 OK\r\n\r\n", b"{}"])],
        [("writelines", [b"HTTP/1.1 201 Created\r\n\r\n", b"[]"])],
    )


def test_a_large_answer_leaves_as_it_is_made() -> None:
    """Past FLUSH_BYTES held, the writes go to the transport at once, whose flow control then sees
    them (a stream written without a pause is not gathered whole)."""

    async def scenario() -> list[tuple[str, int]]:
        writes, recording = wrapped()
        writes.write(b"HTTP/1.1 200 OK\r\n\r\n")
        writes.write(b"x" * FLUSH_BYTES)
        sent_at_once = [(name, sum(map(len, data))) for name, data in recording.calls]
        writes.write(b"tail")
        assert writes.get_write_buffer_size() == 4
        await asyncio.sleep(0)
        return sent_at_once + [(name, len(data)) for name, data in recording.calls[1:]]

    assert asyncio.run(scenario()) == [("writelines", 19 + FLUSH_BYTES), ("write", 4)]


def test_whatever_ends_the_connection_sends_what_is_held_first() -> None:
    async def scenario() -> list[list[tuple[str, Any]]]:
        seen = []
        for end in ("close", "write_eof", "writelines"):
            writes, recording = wrapped()
            writes.write(b"head")
            getattr(writes, end)(*([[b"more"]] if end == "writelines" else []))
            await asyncio.sleep(0)  # the turn's flush finds nothing left
            seen.append(recording.calls)
        writes, recording = wrapped()
        writes.write(b"head")
        writes.abort()  # an abort discards what is unsent, as a transport's own abort does
        await asyncio.sleep(0)
        seen.append(recording.calls)
        return seen

    assert asyncio.run(scenario()) == [
        [("write", b"head"), ("close", None)],
        [("write", b"head"), ("write_eof", None)],
        [("write", b"head"), ("writelines", [b"more"])],
        [("abort", None)],
    ]


def test_the_sandbox_protocol_writes_each_answer_once() -> None:
    """uvicorn's httptools protocol as `serve` and the proxy run it (contracts/bounded_heads.py), on a
    transport that notes its calls: two keep-alive answers, one write each, head and body together."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]})
        await send({"type": "http.response.body", "body": b"hello"})

    async def scenario() -> list[tuple[str, Any]]:
        config = uvicorn.Config(app, log_level="warning", lifespan="off")
        config.load()
        recording = Recording()
        protocol = bounded_heads(5)(config, ServerState(), {})
        protocol.connection_made(cast(asyncio.Transport, recording))
        for _ in range(2):
            protocol.data_received(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            for _ in range(5):
                await asyncio.sleep(0)
        protocol.connection_lost(None)
        return recording.calls

    calls = asyncio.run(scenario())
    writes = [call for call in calls if call[0] != "close"]
    assert [name for name, _ in writes] == ["writelines", "writelines"], calls
    head, body = writes[0][1]
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and head.endswith(b"\r\n\r\n") and body == b"hello"
