"""Which instance serves a workspace (with `--ownership`): the one holding its stream's lease.

The first request of a workspace that reaches an instance asks the database: the lease is taken
when nobody alive holds it (so the instance that serves a workspace first owns it), or the holder's
URL is answered, and remembered. What is remembered holds while the holder is among the live peers
of the last heartbeat, and this instance's own leases while its heartbeat is recent; after that the
database is asked again, and an expired owner's workspace is taken over (a new epoch).

Ownership decides where a request is served, not whether it is correct: every instance still
catches up from the log and locks a stream to write, so two instances that both believe they own a
workspace during a handover serve it correctly, only slower.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from mock_server.cluster import leases
from mock_server.cluster.registry import Registry
from mock_server.cluster.shared_log import Connection

SLACK = 64  # streams remembered beyond twice the workspaces that exist before the gone ones are dropped


class Owners:
    def __init__(self, registry: Registry, workspaces: Callable[[], Collection[str]]) -> None:
        """`workspaces`: those that exist now (what is remembered of the others is dropped, so it
        stays within a few times their number however many come and go)."""
        self.registry = registry
        self.workspaces = workspaces
        self._known: dict[str, str | None] = {}  # stream -> its owner's URL (None: this instance)

    async def owner_url(self, db: Connection, stream: str, generation: int) -> str | None:
        """Where the stream's request is served: another live instance's URL, or None (here)."""
        registry = self.registry
        if not registry.alive():
            self._known.clear()  # this instance's leases may have gone to others meanwhile
        elif stream in self._known:
            url = self._known[stream]
            if url is None or url in registry.peers.values():
                return url
        found = await leases.acquire(db, stream, registry.member, generation, inherent=True)
        if isinstance(found, leases.Acquired):
            self._remember(stream, None)
            return None
        if found.url is None or found.generation != generation:  # gone, or this copy is behind
            self._known.pop(stream, None)
            return None
        self._remember(stream, found.url)
        return found.url

    def _remember(self, stream: str, url: str | None) -> None:
        self._known[stream] = url
        workspaces = self.workspaces()
        if len(self._known) > 2 * len(workspaces) + SLACK:  # amortised: at most once per that many
            self._known = {known: at for known, at in self._known.items() if known in workspaces}

    def unreachable(self, url: str) -> None:
        """An owner did not answer the connection: ask the database again next time."""
        self._known = {stream: known for stream, known in self._known.items() if known != url}

