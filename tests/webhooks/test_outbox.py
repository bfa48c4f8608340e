"""The outbox against real receivers on loopback, with policies small enough to reach each bound:
the shared slots, the attempts of one delivery, an answer that never ends, a workspace that is gone."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator

import pytest
from receiver import receiving

from mock_server.webhooks import Delivery, Outbox, WebhookPolicy
from mock_server.webhooks.outbox import ERROR_TEXT_LIMIT


def delivery(workspace: str, n: int, url: str) -> Delivery:
    return Delivery(id=f"whd_{workspace}_{n}", workspace_id=workspace, event_id=f"evt_{workspace}_{n}",
                    event_type="call.started", url=url, secret="whsec_x",
                    body=f'{{"id": "evt_{workspace}_{n}"}}'.encode())


def run(outbox: Outbox, done: Callable[[], bool], seconds: float = 10.0) -> None:
    """Drain `outbox` until `done` holds (failing the test after `seconds`), then stop it. On an
    event loop of its own, in a thread of its own (another test may have left one running here)."""

    async def drain() -> None:
        task = asyncio.create_task(outbox.run())
        try:
            async with asyncio.timeout(seconds):
                while not done():
                    await asyncio.sleep(0.01)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    failures: list[BaseException] = []

    def drive() -> None:
        try:
            asyncio.run(drain())
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            failures.append(exc)

    thread = threading.Thread(target=drive)
    thread.start()
    thread.join()
    if failures:
        raise failures[0]


def test_one_workspace_cannot_fill_the_shared_slots_and_all_of_them_together_never_pass_it() -> None:
    policy = WebhookPolicy(per_workspace=2, in_flight=3, allow_private=True)
    with receiving(holding=("/hooks",), hold_seconds=0.5) as receiver:
        outbox = Outbox(policy)
        for n in range(4):
            outbox.enqueue(delivery("a", n, receiver.url("/hooks")))
        run(outbox, lambda: receiver.open.get("/hooks") == 2)
        assert receiver.most_open["/hooks"] == 2  # alone, a workspace has its own two of the three
    with receiving(holding=("/hooks",), hold_seconds=0.5) as receiver:
        outbox = Outbox(policy)
        for n in range(4):
            for workspace in ("a", "b", "c"):
                outbox.enqueue(delivery(workspace, n, receiver.url("/hooks")))
        run(outbox, lambda: len(receiver.arrived) == 6)  # two rounds of the three slots
        assert receiver.most_open["/hooks"] == 3
        assert sorted(a["body"]["id"][4] for a in receiver.arrived[:3]) == ["a", "b", "c"]  # in turn


def test_a_delivery_is_abandoned_after_its_last_attempt() -> None:
    policy = WebhookPolicy(retry_base_seconds=0.001, retry_cap_seconds=0.001, allow_private=True)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/hooks"  # nothing listens: refused at once
    outbox = Outbox(policy)
    outbox.enqueue(delivery("a", 0, url))
    run(outbox, lambda: outbox.deliveries("a")[0].state == "abandoned")
    (abandoned,) = outbox.deliveries("a")
    assert len(abandoned.attempts) == policy.max_attempts and outbox.pending() == 0
    assert all(attempt.status_code is None for attempt in abandoned.attempts)


@pytest.fixture
def endless() -> Iterator[str]:
    """A receiver that answers 200 and then a body that never ends."""
    stop = threading.Event()
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n")
            try:
                while not stop.is_set():
                    conn.sendall(b"\0" * 65536)
            except OSError:
                return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/hooks"
    stop.set()
    thread.join(timeout=5)
    server.close()


@pytest.fixture
def garbled() -> Iterator[str]:
    """A receiver whose status line is 16,000 control characters: the client's error quotes it."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 2000 " + b"\x01" * 16000 + b"\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/hooks"
    thread.join(timeout=5)
    server.close()


def test_what_an_attempt_keeps_of_a_receiver_s_error_is_bounded(garbled: str) -> None:
    outbox = Outbox(WebhookPolicy(allow_private=True))
    outbox.enqueue(delivery("a", 0, garbled))
    run(outbox, lambda: bool(outbox.deliveries("a")[0].attempts), seconds=4)
    (attempt,) = outbox.deliveries("a")[0].attempts
    assert attempt.status_code is None and attempt.error
    assert len(attempt.error) <= ERROR_TEXT_LIMIT  # (about 64,000 characters before)


def test_an_answer_that_never_ends_is_not_read_to_its_end(endless: str) -> None:
    outbox = Outbox(WebhookPolicy(allow_private=True))
    outbox.enqueue(delivery("a", 0, endless))
    run(outbox, lambda: bool(outbox.deliveries("a")[0].attempts), seconds=4)  # before the 5 s deadline
    (attempt,) = outbox.deliveries("a")[0].attempts
    assert (attempt.status_code, attempt.error, outbox.deliveries("a")[0].state) == (200, None, "delivered")


def test_the_deliveries_of_a_workspace_that_is_gone_are_dropped() -> None:
    with receiving() as receiver:
        outbox = Outbox(WebhookPolicy(allow_private=True), exists=lambda workspace: workspace != "gone")
        outbox.enqueue(delivery("gone", 0, receiver.url("/gone")))
        outbox.enqueue(delivery("here", 0, receiver.url("/here")))
        # until the outbox has the receiver's answer (not only until the receiver has the request)
        run(outbox, lambda: [d.state for d in outbox.deliveries("here")] == ["delivered"])
        assert len(receiver.on("/here")) == 1 and receiver.on("/gone") == []
        assert outbox.deliveries("gone") == [] and outbox.pending() == 0


def test_a_lookup_outliving_its_deadline_keeps_the_slot(monkeypatch: pytest.MonkeyPatch) -> None:
    """The resolver's thread cannot be stopped: its attempt fails at the deadline, and the slot is
    held until the lookup returns, so a name that never resolves cannot take more threads."""
    steps: list[str] = []
    real = socket.getaddrinfo

    def slow(host: object, port: object, *args: object, **kwargs: object) -> object:
        if host != "slow.test" or kwargs.get("flags"):
            return real(host, port, *args, **kwargs)  # type: ignore[arg-type]
        steps.append("lookup starts")
        threading.Event().wait(0.5)
        steps.append("lookup ends")
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", slow)
    policy = WebhookPolicy(timeout_seconds=0.1, per_workspace=1, retry_base_seconds=60, allow_private=True)
    outbox = Outbox(policy)
    for n in range(2):
        outbox.enqueue(delivery("a", n, "http://slow.test/hooks"))
    run(outbox, lambda: all(d.attempts for d in outbox.deliveries("a")))
    assert steps == ["lookup starts", "lookup ends"] * 2  # one at a time: the slot waited for it
    assert {d.attempts[0].error for d in outbox.deliveries("a")} == {
        "deadline exceeded: no complete answer within 0.1 s"
    }
