"""Where deliveries wait and which attempt starts next (issue 20, defects 9 and 14): the slot bounds
per workspace and in all, the turns, and the bounds of what is kept, each at its edge. Pure."""

from __future__ import annotations

from mock_server.webhooks.delivery import Delivery, WebhookPolicy
from mock_server.webhooks.queue import DeliveryQueue

DEFAULT = WebhookPolicy()


def delivery(workspace: str, n: int, due: float = 0.0) -> Delivery:
    return Delivery(id=f"whd_{workspace}_{n}", workspace_id=workspace, event_id=f"evt_{n}",
                    event_type="call.started", url="http://127.0.0.1:9/", secret="s", body=b"{}",
                    next_attempt_at=due)


def everywhere(workspace_id: str) -> bool:
    return True


def started(queue: DeliveryQueue) -> list[Delivery]:
    found = []
    while (next_one := queue.start_next(everywhere)) is not None:
        found.append(next_one)
    return found


def test_a_workspace_holds_at_most_its_own_slots() -> None:
    queue = DeliveryQueue(DEFAULT)
    for n in range(10):
        queue.add(delivery("a", n))
    queue.release_due(0.0)
    first = started(queue)
    assert [d.id for d in first] == [f"whd_a_{n}" for n in range(DEFAULT.per_workspace)]
    queue.add(delivery("b", 0))
    queue.release_due(0.0)
    assert [d.id for d in started(queue)] == ["whd_b_0"]  # b is not behind a's line
    first[0].state = "delivered"
    queue.finish(first[0])
    assert [d.id for d in started(queue)] == ["whd_a_4"]  # a's slot, freed, is a's again


def test_the_shared_slots_are_taken_in_turn_and_one_workspace_cannot_fill_them() -> None:
    queue = DeliveryQueue(WebhookPolicy(per_workspace=2, in_flight=3))
    for n in range(5):
        queue.add(delivery("a", n))
    queue.release_due(0.0)
    assert len(started(queue)) == 2  # alone, a takes 2 of the 3
    for n in range(5):
        queue.add(delivery("b", n))
        queue.add(delivery("c", n))
    queue.release_due(0.0)
    assert [d.workspace_id for d in started(queue)] == ["b"]  # the third and last shared slot
    running_b = queue.deliveries("b")[0]
    running_b.state = "delivered"
    queue.finish(running_b)
    assert [d.workspace_id for d in started(queue)] == ["c"]  # c's turn came before b's second


def test_waiting_deliveries_are_released_when_due_only() -> None:
    queue = DeliveryQueue(DEFAULT)
    queue.add(delivery("a", 0, due=30.0))
    queue.add(delivery("a", 1, due=10.0))
    assert queue.seconds_until_due(4.0) == 6.0
    queue.release_due(9.9)
    assert started(queue) == []
    queue.release_due(10.0)
    assert [d.id for d in started(queue)] == ["whd_a_1"]
    assert queue.seconds_until_due(10.0) == 20.0


def test_a_failed_attempt_waits_again_and_a_finished_one_joins_the_history() -> None:
    queue = DeliveryQueue(DEFAULT)
    queue.add(delivery("a", 0))
    queue.add(delivery("a", 1))
    queue.release_due(0.0)
    failed, done = started(queue)
    failed.next_attempt_at = 60.0
    done.state = "delivered"
    queue.finish(failed)
    queue.finish(done)
    assert queue.waiting() == 1 and queue.seconds_until_due(0.0) == 60.0
    assert [d.id for d in queue.deliveries("a")] == ["whd_a_0", "whd_a_1"]  # oldest first


def test_the_pending_bound_drops_the_oldest_waiting_delivery_and_counts_it() -> None:
    queue = DeliveryQueue(DEFAULT)
    for n in range(DEFAULT.pending):
        queue.add(delivery("a", n, due=100.0))
    assert queue.waiting() == DEFAULT.pending and queue.dropped("a") == 0
    queue.add(delivery("a", DEFAULT.pending, due=100.0))
    kept = [d.id for d in queue.deliveries("a")]
    assert len(kept) == DEFAULT.pending and queue.dropped("a") == 1
    assert kept[0] == "whd_a_1" and kept[-1] == f"whd_a_{DEFAULT.pending}"
    assert queue.dropped("b") == 0  # per workspace


def test_a_delivery_being_attempted_is_not_the_one_dropped() -> None:
    queue = DeliveryQueue(WebhookPolicy(pending=3))
    for n in range(3):
        queue.add(delivery("a", n))
    queue.release_due(0.0)
    queue.start_next(everywhere)  # whd_a_0 is in flight
    queue.add(delivery("a", 3))
    assert [d.id for d in queue.deliveries("a")] == ["whd_a_0", "whd_a_2", "whd_a_3"]


def test_the_history_keeps_the_last_finished_deliveries_only() -> None:
    queue = DeliveryQueue(DEFAULT)
    for n in range(DEFAULT.history + 1):
        finished = delivery("a", n)
        finished.state = "delivered"
        queue.add(finished)  # as a snapshot restores a finished one
    kept = [d.id for d in queue.deliveries("a")]
    assert len(kept) == DEFAULT.history and kept[0] == "whd_a_1"


def test_the_heap_never_holds_more_than_twice_what_waits() -> None:
    queue = DeliveryQueue(WebhookPolicy(pending=10))
    for n in range(5_000):  # a tenant's flood, all but ten dropped
        queue.add(delivery("a", n, due=float(n)))
    assert queue.waiting() == 10 and queue.dropped("a") == 4_990
    assert len(queue._heap) <= 2 * 10 + 64


def test_a_reset_does_not_buy_more_slots() -> None:
    queue = DeliveryQueue(DEFAULT)
    for n in range(4):
        queue.add(delivery("a", n))
    queue.release_due(0.0)
    in_flight = started(queue)
    queue.forget("a")  # the world was reset: its attempts in flight still run to their deadline
    queue.add(delivery("a", 9))
    queue.release_due(0.0)
    assert started(queue) == []
    queue.finish(in_flight[0])  # ignored (forgotten), but its slot is free again
    assert [d.id for d in started(queue)] == ["whd_a_9"]
    assert [d.id for d in queue.deliveries("a")] == ["whd_a_9"]


def test_a_workspace_that_no_longer_exists_loses_its_deliveries() -> None:
    queue = DeliveryQueue(DEFAULT)
    queue.add(delivery("gone", 0))
    queue.add(delivery("here", 0))
    queue.release_due(0.0)
    assert [d.id for d in iter(lambda: queue.start_next(lambda w: w == "here"), None)] == ["whd_here_0"]
    assert queue.deliveries("gone") == [] and queue.waiting() == 1
