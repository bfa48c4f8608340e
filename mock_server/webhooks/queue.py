"""Where deliveries wait, and which attempt starts next: pure bookkeeping, no I/O, no clock.

One heap holds every waiting delivery by the moment its next attempt is due, so a delivery waiting
out its back-off costs nothing until then: no timer and no scan per delivery. A due delivery joins
its workspace's ready line; workspaces take turns for the attempt slots (round robin), each holding
at most `per_workspace` of the `in_flight` slots in all. So one workspace's slow receiver never
holds another's slots, and a workspace with a long backlog does not go before one with a short one.

Per workspace, at most `pending` deliveries wait (the oldest waiting one is dropped to make room,
and counted) and the last `history` finished ones (delivered, answered, abandoned) are kept for the
control API. Heap entries of dropped or forgotten deliveries are skipped when they come up, and the
heap is rebuilt when they outnumber the live ones, so it stays within twice what waits.
"""

from __future__ import annotations

import heapq
import itertools
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator

from mock_server.webhooks.delivery import Delivery, WebhookPolicy


class _Workspace:
    """One workspace's deliveries: waiting (oldest first) or finished."""

    __slots__ = ("dropped", "finished", "pending", "ready", "running", "timed")

    def __init__(self, history: int) -> None:
        self.pending: OrderedDict[str, tuple[int, Delivery]] = OrderedDict()  # id -> (order, delivery)
        self.timed: dict[str, int] = {}  # id -> ticket of its live heap entry (waiting out a back-off)
        self.ready: OrderedDict[str, Delivery] = OrderedDict()  # due, waiting for a slot
        self.running: dict[str, Delivery] = {}  # attempts in flight
        self.finished: deque[tuple[int, Delivery]] = deque(maxlen=history)
        self.dropped = 0  # deliveries dropped to keep `pending` within its bound


class DeliveryQueue:
    def __init__(self, policy: WebhookPolicy) -> None:
        self.policy = policy
        self._workspaces: dict[str, _Workspace] = {}
        self._heap: list[tuple[float, int, str, str]] = []  # (due, ticket, workspace id, delivery id)
        self._timed = 0  # live heap entries
        self._turns: deque[str] = deque()  # workspaces with a ready delivery, in turn
        self._has_turn: set[str] = set()
        # attempts in flight per workspace and in all: counted until each attempt ends, even when its
        # workspace was reset or removed meanwhile (a reset must not buy more slots)
        self._busy: dict[str, int] = {}
        self._in_flight = 0
        self._order = itertools.count()

    # adding and reading ----------------------------------------------------------------------
    def add(self, delivery: Delivery) -> None:
        """Queue a delivery (a finished one, restored from a snapshot, joins the history)."""
        space = self._space(delivery.workspace_id)
        order = next(self._order)
        if delivery.state != "pending":
            space.finished.append((order, delivery))
            return
        self._discard(space, delivery.id)
        space.pending[delivery.id] = (order, delivery)
        self._wait(delivery.workspace_id, space, delivery)
        while len(space.pending) > self.policy.pending and self._drop_oldest(space):
            space.dropped += 1

    def deliveries(self, workspace_id: str) -> list[Delivery]:
        """A workspace's finished and waiting deliveries, oldest first."""
        space = self._workspaces.get(workspace_id)
        if space is None:
            return []
        return [d for _, d in sorted([*space.finished, *space.pending.values()], key=lambda kept: kept[0])]

    def all(self) -> Iterator[Delivery]:
        for workspace_id in list(self._workspaces):
            yield from self.deliveries(workspace_id)

    def dropped(self, workspace_id: str) -> int:
        space = self._workspaces.get(workspace_id)
        return 0 if space is None else space.dropped

    def waiting(self) -> int:
        return sum(len(space.pending) for space in self._workspaces.values())

    # forgetting --------------------------------------------------------------------------------
    def forget(self, workspace_id: str) -> None:
        """A workspace was reset or removed: its deliveries are gone, sent or not."""
        space = self._workspaces.pop(workspace_id, None)
        if space is not None:
            self._timed -= len(space.timed)

    def clear(self) -> None:
        for workspace_id in list(self._workspaces):
            self.forget(workspace_id)
        self._heap.clear()
        self._turns.clear()
        self._has_turn.clear()

    # the attempts ------------------------------------------------------------------------------
    def release_due(self, now: float) -> None:
        """Deliveries whose next attempt is due join their workspace's ready line."""
        heap = self._heap
        while heap and heap[0][0] <= now:
            _, ticket, workspace_id, delivery_id = heapq.heappop(heap)
            space = self._workspaces.get(workspace_id)
            if space is None or space.timed.get(delivery_id) != ticket:
                continue  # dropped, forgotten, or waiting under a newer entry
            del space.timed[delivery_id]
            self._timed -= 1
            space.ready[delivery_id] = space.pending[delivery_id][1]
            self._offer_turn(workspace_id)

    def seconds_until_due(self, now: float) -> float | None:
        """How long until the next waiting delivery is due (None: none waits)."""
        heap = self._heap
        while heap:
            _, ticket, workspace_id, delivery_id = heap[0]
            space = self._workspaces.get(workspace_id)
            if space is not None and space.timed.get(delivery_id) == ticket:
                return max(0.0, heap[0][0] - now)
            heapq.heappop(heap)
        return None

    def start_next(self, exists: Callable[[str], bool]) -> Delivery | None:
        """The next attempt to make, if a slot is free: its workspace's turn, oldest due first.
        A workspace that no longer `exists` is forgotten instead."""
        while self._turns and self._in_flight < self.policy.in_flight:
            workspace_id = self._turns.popleft()
            self._has_turn.discard(workspace_id)
            space = self._workspaces.get(workspace_id)
            if space is None or not space.ready or not self._slot_free(workspace_id):
                continue
            if not exists(workspace_id):
                self.forget(workspace_id)
                continue
            delivery_id, delivery = space.ready.popitem(last=False)
            space.running[delivery_id] = delivery
            self._busy[workspace_id] = self._busy.get(workspace_id, 0) + 1
            self._in_flight += 1
            self._offer_turn(workspace_id)
            return delivery
        return None

    def finish(self, delivery: Delivery) -> None:
        """An attempt started by `start_next` ended: the delivery waits again, or is finished."""
        workspace_id = delivery.workspace_id
        self._in_flight -= 1
        self._busy[workspace_id] -= 1
        if not self._busy[workspace_id]:
            del self._busy[workspace_id]
        space = self._workspaces.get(workspace_id)
        if space is not None and space.running.get(delivery.id) is delivery:
            del space.running[delivery.id]
            if delivery.state == "pending":
                self._wait(workspace_id, space, delivery)
            else:
                order, _ = space.pending.pop(delivery.id)
                space.finished.append((order, delivery))
        self._offer_turn(workspace_id)  # its own slot is free again

    # inside --------------------------------------------------------------------------------------
    def _space(self, workspace_id: str) -> _Workspace:
        space = self._workspaces.get(workspace_id)
        if space is None:
            space = self._workspaces[workspace_id] = _Workspace(self.policy.history)
        return space

    def _slot_free(self, workspace_id: str) -> bool:
        return self._busy.get(workspace_id, 0) < self.policy.per_workspace

    def _offer_turn(self, workspace_id: str) -> None:
        space = self._workspaces.get(workspace_id)
        if space is None or not space.ready or workspace_id in self._has_turn:
            return
        if self._slot_free(workspace_id):
            self._turns.append(workspace_id)
            self._has_turn.add(workspace_id)

    def _wait(self, workspace_id: str, space: _Workspace, delivery: Delivery) -> None:
        ticket = next(self._order)
        if delivery.id not in space.timed:
            self._timed += 1
        space.timed[delivery.id] = ticket
        heapq.heappush(self._heap, (delivery.next_attempt_at, ticket, workspace_id, delivery.id))
        if len(self._heap) > 2 * self._timed + 64:
            self._rebuild_heap()

    def _rebuild_heap(self) -> None:
        self._heap = [
            (space.pending[delivery_id][1].next_attempt_at, ticket, workspace_id, delivery_id)
            for workspace_id, space in self._workspaces.items()
            for delivery_id, ticket in space.timed.items()
        ]
        heapq.heapify(self._heap)

    def _discard(self, space: _Workspace, delivery_id: str) -> None:
        space.pending.pop(delivery_id, None)
        space.ready.pop(delivery_id, None)
        space.running.pop(delivery_id, None)  # an attempt in flight now ends unheeded
        if space.timed.pop(delivery_id, None) is not None:
            self._timed -= 1

    def _drop_oldest(self, space: _Workspace) -> bool:
        """Drop the oldest waiting delivery that is not being attempted (False: all are)."""
        for delivery_id in space.pending:
            if delivery_id not in space.running:
                self._discard(space, delivery_id)
                return True
        return False
