"""The access log's writer: requests never wait for the stream, lines a stuck stream cannot take are
dropped and counted, and every line queued is written by a clean exit."""

from __future__ import annotations

import io
import threading

from mock_server.observe.access_log import LINE_BYTES, AccessLog, Fields

AT = 1_796_000_000.0


def fields(number: int, path: str = "/p") -> Fields:
    return (AT, f"req_{number}", "ws_1", "GET", path, "get_p", 200, 0.5)


class StuckStream(io.StringIO):
    """A stream whose writes wait until it is let go (a pipe nobody reads)."""

    def __init__(self) -> None:
        super().__init__()
        self.let_go = threading.Event()
        self.writing = threading.Event()

    def write(self, text: str) -> int:
        self.writing.set()
        assert self.let_go.wait(10)
        return super().write(text)


def test_close_writes_every_line_queued() -> None:
    stream = io.StringIO()
    log = AccessLog("text", lambda: stream)
    for number in range(1000):
        log.note(fields(number))
    log.close()
    written = stream.getvalue().splitlines()
    assert [line.split()[1] for line in written] == [f"req_{n}" for n in range(1000)]
    assert log.dropped == 0


def test_a_stuck_stream_never_blocks_a_request_and_what_it_cannot_take_is_counted() -> None:
    stream = StuckStream()
    # room for 10 lines of a 2-character path
    log = AccessLog("text", lambda: stream, max_pending_bytes=10 * (LINE_BYTES + len("GET") + 2))
    log.note(fields(0))
    assert stream.writing.wait(10)  # the writer holds line 0 and waits on the stream
    for number in range(1, 31):  # would block here, were the request to write
        log.note(fields(number))
    assert log.dropped == 20  # 10 queued behind the write, the rest dropped
    stream.let_go.set()
    log.close()
    lines = stream.getvalue().splitlines()
    assert [line.split()[1] for line in lines[:-1]] == [f"req_{n}" for n in range(11)]
    assert lines[-1] == "access log: 20 lines dropped (the stream did not keep up)"


def test_the_bound_counts_the_clients_path_whole() -> None:
    stream = StuckStream()
    log = AccessLog("json", lambda: stream, max_pending_bytes=1024 * 1024)
    log.note(fields(0))
    assert stream.writing.wait(10)
    log.note(fields(1, "/" + "x" * 1024 * 1024))  # a path alone over the bound
    log.note(fields(2))
    assert log.dropped == 1
    stream.let_go.set()
    log.close()
    lines = stream.getvalue().splitlines()
    assert [line for line in lines if "req_1" in line] == []
    assert lines[-1] == '{"access_log_lines_dropped":1}'


def test_an_idle_writer_ends_and_the_next_line_starts_another() -> None:
    stream = io.StringIO()
    log = AccessLog("text", lambda: stream)
    log.note(fields(0))
    writer = log._writer
    assert writer is not None
    writer.join(10)  # it ends once idle (IDLE_SECONDS)
    assert not writer.is_alive() and log._writer is None
    assert "req_0" in stream.getvalue()
    log.note(fields(1))
    log.close()
    assert "req_1" in stream.getvalue()
