"""Which instance serves a workspace (with `--ownership`): the one holding its stream's lease.

The first request of a workspace that reaches an instance asks the database: the lease is taken
when nobody alive holds it (so the instance that serves a workspace first owns it), or the holder's
URL is answered, and remembered. What is remembered holds while the holder is among the live peers
of the last heartbeat, and this instance's own leases while it has stayed alive since it took them
(its heartbeat never lapsed meanwhile); after that the database is asked again, and an expired
owner's workspace is taken over (a new epoch).

Only the holder of a stream's lease writes to it: every write is fenced by the lease's epoch
(`leases.fence`, in the write's transaction), so an owner that has caught up once after taking its
lease knows its copy is the log's, and serves reads from memory (`cluster/node.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from mock_server.cluster import leases
from mock_server.cluster.registry import Registry
from mock_server.cluster.shared_log import Connection

SLACK = 64  # streams remembered beyond twice the workspaces that exist before the gone ones are dropped


@dataclass(frozen=True, slots=True)
class Lease:
    """This instance's lease on a stream: its epoch, taken in the registry's tenure `tenure`."""

    epoch: int
    tenure: int


class LeaseLost(Exception):
    """A write reached an instance that does not hold its workspace's lease (or no longer does)."""


Known = str | Lease  # another instance's URL, or this instance's own lease


class Owners:
    def __init__(self, registry: Registry, workspaces: Callable[[], Collection[str]]) -> None:
        """`workspaces`: those that exist now (what is remembered of the others is dropped, so it
        stays within a few times their number however many come and go)."""
        self.registry = registry
        self.workspaces = workspaces
        # stream -> (the generation it was learnt in, its owner's URL or this instance's lease)
        self._known: dict[str, tuple[int, Known]] = {}

    def known(self, stream: str, generation: int) -> Known | None:
        """What is still known of the stream's owner in `generation` without asking the database
        (None: ask)."""
        registry = self.registry
        if not registry.alive():
            self._known.clear()  # this instance's leases may have gone to others meanwhile
            return None
        learnt, found = self._known.get(stream, (0, None))
        if learnt != generation:
            return None
        if isinstance(found, Lease):
            return found if found.tenure == registry.tenure else None
        return found if found is not None and found in registry.peers.values() else None

    def lease(self, stream: str, generation: int) -> Lease | None:
        """This instance's lease on the stream, while it surely still holds it."""
        found = self.known(stream, generation)
        return found if isinstance(found, Lease) else None

    async def ask(self, db: Connection, stream: str, generation: int) -> Known | None:
        """Take the stream's lease if nobody alive holds it, or learn who does (None: the stream is
        gone, this copy is behind the database's generation, or this instance is not alive)."""
        registry = self.registry
        tenure, alive = registry.tenure, registry.alive()
        found = await leases.acquire(db, stream, registry.member, generation, inherent=True)
        if isinstance(found, leases.Acquired):
            if not alive:  # taken while this instance may be dead to the others: not relied on
                self._known.pop(stream, None)
                return None
            lease = Lease(found.epoch, tenure)
            self._remember(stream, generation, lease)
            return lease
        if found.url is None or found.generation != generation:  # gone, or this copy is behind
            self._known.pop(stream, None)
            return None
        self._remember(stream, generation, found.url)
        return found.url

    def _remember(self, stream: str, generation: int, known: Known) -> None:
        self._known[stream] = (generation, known)
        workspaces = self.workspaces()
        if len(self._known) > 2 * len(workspaces) + SLACK:  # amortised: at most once per that many
            self._known = {stream: at for stream, at in self._known.items() if stream in workspaces}

    def forget(self, stream: str) -> None:
        """A write found the lease gone: ask the database again next time."""
        self._known.pop(stream, None)

    def unreachable(self, url: str) -> None:
        """An owner did not answer the connection: ask the database again next time."""
        self._known = {stream: known for stream, known in self._known.items() if known[1] != url}
