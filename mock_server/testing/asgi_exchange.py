"""One HTTP exchange with an ASGI app in this process, as a server would run it: for benchmarks and
tests that must see what the app alone does (no socket, and none of a test client's own machinery,
which leaves reference cycles holding the frames of the request it ran)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Scope


async def exchange(app: ASGIApp, scope: Scope, body: bytes = b"") -> list[Message]:
    """The messages `app` sent for one request of `scope` whose body came whole in one message."""
    incoming: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop() if incoming else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent
