"""The ASGI middleware of an instance of a shared sandbox: every request goes through its node.

It reads a write's body first (a slow client never holds a lock), answers 503 at once while the
database is away, takes the process's shared lock (exclusive for a reset of everything, or to
rebuild a stale copy), then hands the request to `Node.serve` under its stream's in-process lock,
trying once more on a fresh connection when a database restart broke the first. A request whose
workspace another instance owns is forwarded to it once that lock is let go: nothing waits on
another instance while holding what a reset or a rebuild of this one waits for.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server.cluster.forwarding import (
    FORWARDED,
    REFUSED,
    NotOwner,
    OwnerFailed,
    OwnerUnreachable,
    marked_not_owner,
)
from mock_server.cluster.node import ANSWERED, Node
from mock_server.cluster.outage import DATABASE_ERRORS, StoreAway
from mock_server.cluster.ownership import Known, LeaseLost
from mock_server.cluster.replica import SANDBOX_STREAM, Diverged, RebuildNeeded
from mock_server.cluster.worlds import replaying
from mock_server.engine.header_limits import refusal
from mock_server.engine.incoming import changes_state
from mock_server.engine.scopes import RequestScope
from mock_server.persistence.replay import header_map


class Rewindable:
    """A request's `receive` that replays what it handed on from the start (`rewind`): a request
    tried again (after a database restart, a lease that changed hands, a rebuild, an owner that did
    not take it) reads its body again. The drained `receive` it was given instead waited for the
    client to leave, holding the process's lock: a rebuild waiting behind it kept every other
    request out (the adversarial review: a workspace's removal racing its writes, 20 s)."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._seen: list[Message] = []  # the body's messages (what the app read of it: bounded)
        self._at = 0
        self.gone = False  # the client went away before the end of its body (`body`)

    async def __call__(self) -> Message:
        if self._at < len(self._seen):
            self._at += 1
            return self._seen[self._at - 1]
        message = await self._receive()
        if message["type"] == "http.request":
            self._seen.append(message)
            self._at += 1
        return message  # (the client went away: the app hears it as it would have, each time)

    def rewind(self) -> Rewindable:
        self._at = 0
        return self

    async def body(self, limit: int) -> bytes:
        """The body, read now up to one byte past `limit` (enough for the app's 413) and kept as
        one message; rewound."""
        self.rewind()
        body = bytearray()
        while True:
            message = await self()
            if message["type"] != "http.request":
                self.gone = True  # (what was read is not handed on as if whole: more is to come)
                break
            body.extend(message.get("body", b""))
            if not message.get("more_body", False) or len(body) > limit:
                break
        whole = bytes(body)
        self._seen = [{"type": "http.request", "body": whole, "more_body": self.gone}]
        self._at = 0
        return whole


class Deferred:
    """The `send` of a request served under the process's lock (and its workspace's, and perhaps a
    pool connection): its messages are kept, and sent once those are let go (`flush`). uvicorn's
    `send` waits while the client does not read what it was sent: a tenant that pipelined requests
    and read none of their answers held its workspace's lock and the process's until it did, and a
    reset of everything waiting for the process's lock then kept every other request of the
    instance out (the adversarial review; one process, without those locks, was never held)."""

    __slots__ = ("send", "messages")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.messages: list[Message] = []

    async def __call__(self, message: Message) -> None:
        self.messages.append(message)

    async def flush(self) -> None:
        messages, self.messages = self.messages, []
        for message in messages:
            await self.send(message)


async def _owner_of(node: Node, stream: str) -> Known | None:
    """The workspace's owner as this instance knows it, else as the database says (another
    instance's URL, this one's lease, or None: nobody's)."""
    assert node.owners is not None
    owner = node.owners.known(stream, node.sandbox.generation)
    if owner is None:
        async with node.pool_connection() as db:
            owner = await node.owners.ask(db, stream, node.sandbox.generation)
    return owner


class ClusterMiddleware:
    """Every request of an instance of a shared sandbox goes through its node."""

    def __init__(self, app: ASGIApp, node: Node) -> None:
        self.app = app
        self.node = node
        node.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # headers over the limit: `Front` refuses the request before any work (no lock, no row)
        if scope["type"] != "http" or replaying():
            await self.app(scope, receive, send)
            return
        node = self.node
        if node.pool is None:
            await node.open()
        # a request another instance forwarded is served here (`Receiving` made it as its client sent it)
        forwarded = bool(scope.get("state", {}).get(FORWARDED))
        if refusal(scope["headers"]):
            await self.app(scope, receive, send)
            return
        headers = header_map(scope["headers"])
        kind = node.request_scope(scope)
        resetting = kind.scope == "everything"
        receive = Rewindable(receive)
        if changes_state(scope["method"]):  # the body first: a slow client must not hold a lock
            await receive.body(node.sandbox.max_body_bytes)
            if receive.gone:  # it went away mid-upload: nothing is served (as in one process)
                return
        if node.outage.away:
            await node.refuse(scope, receive, send, StoreAway("found away, not reached since"))
            return
        may_forward = not forwarded
        deferred = Deferred(send)  # what is answered under the locks, sent once they are let go
        tries = 0
        while tries < 3:
            exclusive = resetting or node.needs_rebuild
            owned: str | None = None
            async with node.everything.exclusive() if exclusive else node.everything.shared():
                try:
                    if node.needs_rebuild:
                        if not exclusive:
                            tries += 1
                            continue  # it became stale meanwhile: again, alone in the process
                        async with node.pool_connection() as db:
                            await node.rebuild(db)
                    owned = await self._serve(node, scope, receive.rewind(), deferred, headers, kind,
                                              forwarded, may_forward)
                except RebuildNeeded:
                    tries += 1
                    continue
                except DATABASE_ERRORS as exc:
                    await node.refuse(scope, receive, deferred, exc)
            await deferred.flush()
            if owned is None:
                return
            # forwarded outside the process's lock: two instances that each waited on the other while
            # holding theirs, each with a rebuild waiting (which shuts new holders out), deadlocked
            if await self._to_owner(node, owned, scope, receive, send):
                return
            may_forward = False  # to be served here after all
        await node.refuse(scope, receive, send, Diverged("the sandbox was reset again and again"))

    async def _serve(self, node: Node, scope: Scope, receive: Rewindable, send: Send, headers: dict[str, str],
                     kind: RequestScope, forwarded: bool, may_forward: bool) -> str | None:
        """Serve the request here (None), or answer the workspace it is to be forwarded to: its
        owner is another instance (`may_forward`), to be asked once this process's lock is let go."""
        for attempt in (1, 2):
            receive.rewind()
            try:
                stream = await node.stream_of(scope, headers, kind)
                if stream is None:
                    await node.unlogged(scope, receive, send)
                    return None
                # a health check is about the instance it reaches: never forwarded; a workspace's
                # removal is served by its owner (which so stops serving it from memory)
                if may_forward and node.owners is not None and kind.scope != "liveness":
                    owned = stream if stream != SANDBOX_STREAM else await node.removed_workspace(kind)
                    if owned and isinstance(await _owner_of(node, owned), str):  # another instance's
                        return owned
                async with node.lock_of(stream):
                    if node.outage.away:  # found away while this one queued behind others
                        await node.refuse(scope, receive, send, StoreAway("found away meanwhile"))
                        return None
                    await node.serve(stream, scope, receive, send, headers, kind)
                return None
            except DATABASE_ERRORS as exc:
                if attempt == 2 or scope.get("state", {}).get("request_id") is not None:
                    await node.refuse(scope, receive, send, exc)
                    return None
                await node.outage.drop_broken_connections()  # after a database restart: once more
            except Diverged as exc:
                node.mark_stale()
                await node.refuse(scope, receive, send, exc)
                return None
            except LeaseLost as exc:  # a write here, its workspace another instance's: to it, once more
                if forwarded:  # the instance that sent it asks the database, and sends it there
                    await node.refuse(scope, receive, marked_not_owner(send, REFUSED), exc)
                    return None
                if attempt == 2:
                    await node.refuse(scope, receive, send, exc)
                    return None
        return None

    async def _to_owner(self, node: Node, stream: str, scope: Scope, receive: Rewindable,
                        send: Send) -> bool:
        """Forward the request to its workspace's owner when that is another instance; False when
        it is to be served here: this instance owns the workspace, or its owner is unreachable (once
        its lease lapsed, asking again takes it over; until then the request is served here all the
        same, catching up from the log keeps it right)."""
        assert node.owners is not None
        tried: set[str] = set()
        while True:
            owner = await _owner_of(node, stream)
            if not isinstance(owner, str) or owner in tried:
                return False
            tried.add(owner)
            if await self._forward(node, stream, owner, scope, receive, send):
                node.forwarded += 1
                return True

    async def _forward(self, node: Node, stream: str, owner: str, scope: Scope, receive: Rewindable,
                       send: Send) -> bool:
        """Answer with what the owner answers; False when the owner did not take the connection,
        or no longer holds the workspace and made nothing of it."""
        assert node.forwarder is not None and node.owners is not None
        body = await receive.body(node.sandbox.max_body_bytes)
        if receive.gone:
            return True  # nobody to answer: nothing is forwarded (the owner would take what came for whole)

        async def answering(message: Message) -> None:
            scope.setdefault("state", {})[ANSWERED] = True
            await send(message)

        try:
            if not await node.forwarder.forward(owner, scope, body, answering):
                node.owners.forget(stream)  # answered from the log there: the database says where next
        except OwnerUnreachable:
            node.owners.unreachable(owner)
            return False
        except NotOwner:  # its lease changed hands (a handover): where the database says now
            node.owners.forget(stream)
            return False
        except OwnerFailed as exc:
            await node.refuse(scope, receive.rewind(), send, exc)
        return True
