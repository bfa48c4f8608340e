"""The garbage collector's policy of `serve`: survivors frozen, cycles still reclaimed."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from mock_server import heap
from mock_server.heap import HeapPolicy


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def installed(policy: HeapPolicy) -> Iterator[HeapPolicy]:
    """`policy` installed for one test, CPython's own afterwards."""
    previous = gc.get_threshold()
    policy.install()
    try:
        yield policy
    finally:
        policy.uninstall()
        gc.set_threshold(*previous)


@pytest.fixture
def policy() -> Iterator[HeapPolicy]:
    """Young collections of 1,000; a full collection once the heap grew by a fifth since the last one
    (and the process was quiet for 20 ms: a test waiting for it is)."""
    yield from installed(HeapPolicy(young=1000, growth=1.2, quiet_seconds=0.02))


class BusyProcess:
    """The process's CPU time as the policy reads it: a whole core used between any two reads while
    `busy` (a load that never lets up), none once not."""

    def __init__(self) -> None:
        self.busy = True
        self.seconds = 0.0

    def __call__(self) -> float:
        self.seconds += 1.0 if self.busy else 0.0
        return self.seconds


def grow_until_collected(policy: HeapPolicy, kept: list[list[int]]) -> None:
    """State kept until the policy's next full collection (waited for once due: the test waiting is
    the quiet moment)."""
    before = policy.full_collections
    while policy.full_collections == before:
        kept.append([len(kept) + 1000])
        if policy.collector is not None and policy.collector.is_alive():
            policy.collector.join(10)
        assert len(kept) < 10_000_000


def grow_until_due(policy: HeapPolicy, kept: list[list[int]]) -> None:
    """State kept until the policy wants a full collection (its thread started)."""
    if policy.collector is not None:
        policy.collector.join(10)
    while not policy.collector or not policy.collector.is_alive():
        kept.append([len(kept) + 1000])
        assert len(kept) < 10_000_000


def test_a_due_full_collection_waits_for_the_process_to_be_quiet() -> None:
    """A full collection is a pause that grows with the heap (2 s over three million objects): under
    a load test that grows the heap it waits, and comes once a `quiet_seconds` passes with the process
    nearly idle (the load's end)."""
    load = BusyProcess()
    for policy in installed(HeapPolicy(young=1000, growth=1.2, quiet_seconds=0.01, cpu_seconds=load)):
        before = policy.full_collections
        kept: list[list[int]] = []
        grow_until_due(policy, kept)
        assert policy.collector is not None
        policy.collector.join(0.3)  # thirty quiet_seconds of a busy process
        assert policy.collector.is_alive() and policy.full_collections == before
        kept.extend([n + 1000] for n in range(1000))  # young collections freeze, and wait, meanwhile
        assert policy.full_collections == before
        load.busy = False
        policy.collector.join(10)
        assert policy.full_collections == before + 1
        assert policy.waited >= 0.3
        assert kept


def test_under_load_that_never_lets_up_the_full_collection_comes_at_the_forced_growth() -> None:
    load = BusyProcess()
    for policy in installed(HeapPolicy(young=1000, growth=1.2, forced_growth=1.5, quiet_seconds=0.01,
                                       cpu_seconds=load)):
        before = policy.full_collections
        start_blocks = policy.after_full
        kept: list[list[int]] = []
        grow_until_due(policy, kept)
        grown_when_due = len(kept)
        while policy.full_collections == before:
            kept.append([len(kept) + 1000])
            assert len(kept) < 10_000_000
            if policy._urgent.is_set() and policy.collector is not None:
                policy.collector.join(10)
        assert load.busy and policy.waited < policy.most_wait
        assert len(kept) > grown_when_due  # it waited past the growth that made it due
        assert policy.after_full > 1.2 * start_blocks


def test_under_load_that_never_lets_up_the_full_collection_waits_at_most_most_wait() -> None:
    load = BusyProcess()
    for policy in installed(HeapPolicy(young=1000, growth=1.2, quiet_seconds=0.01, most_wait=0.1,
                                       cpu_seconds=load)):
        before = policy.full_collections
        grow_until_due(policy, [])
        assert policy.collector is not None
        policy.collector.join(10)
        assert policy.full_collections == before + 1
        assert load.busy and policy.waited >= 0.1


def test_survivors_are_frozen_and_a_cycle_that_dies_frozen_is_still_collected(policy: HeapPolicy) -> None:
    frozen = gc.get_freeze_count()
    a, b = Node(), Node()
    a.other, b.other = b, a
    cycle = weakref.ref(a)
    kept = [[n] for n in range(5000)]  # survivors: five young collections' worth
    if policy.collector is not None:  # (a full collection unfreezes while it runs)
        policy.collector.join(10)
    assert gc.get_freeze_count() >= frozen + 4000
    young = gc.get_objects(0)
    assert not any(o is a for o in young)  # frozen, out of the young generation
    del young
    del a, b
    if policy.collector is not None:  # one that may have started before the cycle died
        policy.collector.join(10)
    assert cycle() is not None  # a cycle: no reference count frees it, and no young collection sees it
    before = policy.full_collections
    survivors = []
    while policy.full_collections == before:
        survivors.append([len(survivors)])
        if policy.collector is not None:
            policy.collector.join(10)
        assert len(survivors) < 10_000_000
    assert cycle() is None  # the full collection found it
    assert len(kept) == 5000 and survivors


def test_survivors_that_die_do_not_count_as_growth(policy: HeapPolicy) -> None:
    """State that comes and goes (a workspace filled then deleted, again and again) leaves the heap
    as it was: many times the bound of survivors are frozen on the way, and no full collection runs."""
    if policy.collector is not None:
        policy.collector.join(10)
    before = policy.full_collections
    bound = 0.2 * policy.after_full  # memory blocks; a [n] below is two (the list and its int)
    held: list[list[int]] = []
    for _ in range(8):
        held = [[n + 1000] for n in range(int(bound // 4))]  # frozen as young collections run...
        held.clear()  # ...and dead
    if policy.collector is not None:
        policy.collector.join(10)
    assert policy.full_collections == before
    grown = 0
    while policy.full_collections == before:  # state that stays is collected as before
        held.append([grown + 1000])
        grown += 1
        if policy.collector is not None:
            policy.collector.join(10)
        assert grown < 10_000_000
    assert grown > bound / 4


def test_the_policy_never_walks_the_heap(policy: HeapPolicy, monkeypatch: pytest.MonkeyPatch) -> None:
    """Counting the frozen heap (`gc.get_freeze_count`, `gc.get_objects`) touches every object: 170 to
    360 ms over three million of them, a pause of its own at every check. The policy reads the
    allocator's count of blocks instead, through growth, churn and a full collection."""
    if policy.collector is not None:
        policy.collector.join(10)
    walks = 0

    def walked(real: Any) -> Any:
        def counted(*args: Any) -> Any:
            nonlocal walks
            walks += 1
            return real(*args)

        return counted

    monkeypatch.setattr(gc, "get_freeze_count", walked(gc.get_freeze_count))
    monkeypatch.setattr(gc, "get_objects", walked(gc.get_objects))
    before = policy.full_collections
    kept: list[list[int]] = []
    while policy.full_collections == before:  # growth, up to a full collection
        kept.append([len(kept) + 1000])
        if policy.collector is not None:
            policy.collector.join(10)
    for _ in range(60):  # then churn: each batch survives a young collection, then dies
        batch = [[n + 1000] for n in range(1500)]
        del batch
    assert walks == 0
    assert kept


@pytest.fixture
def patient() -> Iterator[HeapPolicy]:
    """Young collections of 1,000 and no full collection in sight: what young collections do, alone."""
    yield from installed(HeapPolicy(young=1000, growth=10_000))


def test_young_collections_that_find_nothing_are_skipped_and_what_they_held_is_frozen(
    patient: HeapPolicy,
) -> None:
    """A create run: every object survives. Examining them (a walk of each, scattered over a large
    heap) cost a create 30 µs in process; after each collection that found nothing, up to
    `most_skipped` are skipped, their objects frozen unexamined."""
    frozen = gc.get_freeze_count()
    kept = [[n] for n in range(40_000)]  # forty young collections' worth of survivors
    assert patient.skipped >= 20
    assert patient.streak == patient.most_skipped
    assert gc.get_freeze_count() >= frozen + 39_000  # all of them out of every collection
    assert len(gc.get_objects(0)) < 2000
    assert patient.full_collections == 1  # (the one `install` runs)
    assert len(kept) == 40_000


def test_garbage_found_by_a_young_collection_turns_skipping_off(patient: HeapPolicy) -> None:
    """Skipping is for a heap that only grows: once cycles die young again (a mix of requests that
    leave garbage), young collections look at every generation and reclaim them, as CPython's
    would; what the skipped ones froze waits for the next full collection."""
    kept = [[n] for n in range(20_000)]
    assert patient.streak == patient.most_skipped
    skipped = patient.skipped
    sample: list[weakref.ref[Node]] = []
    for n in range(50_000):  # 100,000 objects in cycles, none kept
        a, b = Node(), Node()
        a.other, b.other = b, a
        if n % 100 == 0:
            sample.append(weakref.ref(a))
    del a, b
    gc.collect(0)  # the young collection the last of them would have waited for
    assert patient.streak == 0
    assert patient.skipped - skipped <= patient.most_skipped  # the ones already due, then none
    alive = sum(ref() is not None for ref in sample)
    assert alive <= len(sample) // 10, f"{alive} of {len(sample)} sampled cycles left for a full collection"
    assert patient.full_collections == 1
    assert len(kept) == 20_000


def test_any_garbage_a_young_collection_finds_turns_skipping_off(patient: HeapPolicy) -> None:
    """A create run with a 422 now and then (a cycle per request, a few objects in a thousand
    survivors): had skipping waited for garbage to be a share of what is examined, seven young
    collections in eight would freeze those cycles, bodies and all."""
    kept = [[n] for n in range(20_000)]
    assert patient.streak == patient.most_skipped
    sample: list[weakref.ref[Node]] = []
    for _ in range(100):  # a cycle among each thousand survivors
        kept.extend([m] for m in range(1000))
        a, b = Node(), Node()
        a.other, b.other = b, a
        sample.append(weakref.ref(a))
        del a, b
    gc.collect(0)
    alive = sum(ref() is not None for ref in sample)
    assert alive <= 20, f"{alive} of {len(sample)} cycles frozen"
    assert patient.full_collections == 1


def test_frozen_garbage_the_allocator_does_not_count_still_brings_a_full_collection(
    policy: HeapPolicy,
) -> None:
    """A request body of a megabyte is one allocator block: cycles that hold such bodies and died
    frozen grow the process, not the blocks. Resident memory counts too."""
    if policy.collector is not None:
        policy.collector.join(10)
    before = policy.full_collections
    resident = heap.resident_bytes()
    assert resident > 0  # (Linux: /proc)
    sample: list[weakref.ref[Node]] = []
    for _ in range(int(0.4 * resident) // 1_000_000 + 1):  # 40 % of the process, as big cycles...
        a, b = Node(), Node()
        a.other, b.other = b, a
        a.payload = b"x" * 1_000_000  # type: ignore[attr-defined]
        sample.append(weakref.ref(a))
        del a, b
    gc.freeze()  # ...dead and frozen, as a skipped young collection leaves them
    kept = []
    for n in range(5000):  # far fewer blocks than the blocks' bound (a fifth of the heap's)
        kept.append([n + 1000])
        if policy.full_collections != before:
            break
    if policy.collector is not None:
        policy.collector.join(10)
    assert policy.full_collections > before
    assert all(ref() is None for ref in sample)


def test_without_pythons_allocator_full_collections_still_come() -> None:
    """`PYTHONMALLOC=malloc` (valgrind, sanitizers, another malloc preloaded): the allocator counts no
    blocks, and resident memory alone measures the heap."""
    script = """
import gc, sys, weakref
from mock_server.heap import HeapPolicy
assert sys.getallocatedblocks() == 0
class Node: pass
policy = HeapPolicy(young=1000, growth=1.5, quiet_seconds=0.02)
policy.install()
a, b = Node(), Node()
a.other, b.other = b, a
cycle = weakref.ref(a)
kept = [[n] for n in range(5000)]
del a, b
while policy.full_collections == 1:
    kept.append([len(kept)])
    assert len(kept) < 20_000_000
    if policy.collector is not None and policy.collector.is_alive():
        policy.collector.join(10)
assert policy.waited < 1, policy.waited  # the quiet moment, not the forced growth
assert cycle() is None
print("collected")
"""
    env = {**os.environ, "PYTHONMALLOC": "malloc"}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "collected"


def test_a_full_collection_that_cannot_start_is_tried_again(
    policy: HeapPolicy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No thread to be had when a full collection is due (the interpreter ending, a thread limit):
    the policy carries on, and the next check starts it."""
    if policy.collector is not None:
        policy.collector.join(10)
    before = policy.full_collections
    refused = 0
    real_start = threading.Thread.start

    def start_or_refuse(thread: threading.Thread) -> None:
        nonlocal refused
        if thread.name == "full-collection" and refused < 2:
            refused += 1
            raise RuntimeError("can't start new thread")
        real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", start_or_refuse)
    grow_until_collected(policy, [])
    assert policy.full_collections > before
    assert refused == 2


def test_a_forked_child_is_not_left_waiting_for_its_parents_full_collection() -> None:
    """`serve --workers` forks after `install`. A parent waiting for a quiet moment when it forks
    leaves its child a policy marked due, but no thread to collect: the child's next growth must
    still bring its own full collection."""
    load = BusyProcess()
    for policy in installed(HeapPolicy(young=1000, growth=1.2, quiet_seconds=0.01, cpu_seconds=load)):
        grow_until_due(policy, [])  # the parent's collector waits: the process is busy
        child = os.fork()
        if child == 0:  # the child: quiet, and its heap grows
            code = 1
            try:
                load.busy = False
                before = policy.full_collections
                kept: list[list[int]] = []
                while policy.full_collections == before and len(kept) < 2_000_000:
                    kept.append([len(kept) + 1000])
                    if policy.collector is not None and policy.collector.is_alive():
                        policy.collector.join(10)
                code = 0 if policy.full_collections > before else 3
            finally:
                os._exit(code)
        _, status = os.waitpid(child, 0)
        load.busy = False  # the parent's own waiting collector may now collect
        assert policy.collector is not None
        policy.collector.join(10)
        assert os.waitstatus_to_exitcode(status) == 0


def test_a_full_collection_never_runs_between_a_young_collections_look_and_its_freeze(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The full collection's thread may wake while another thread's young collection is between
    its callback's look and its `gc.freeze()` (the GIL changes hands anywhere). Had it unfrozen the
    heap there, the callback froze it again under it, and the full collection found none of the
    frozen garbage. Modelled here by a freeze of the main thread's that gives the GIL away."""
    real_freeze = gc.freeze
    armed = False

    def slow_freeze() -> None:
        nonlocal armed
        if armed and threading.current_thread() is threading.main_thread():
            armed = False
            time.sleep(0.05)  # the full collection's thread, quiet, runs meanwhile
        real_freeze()

    for policy in installed(HeapPolicy(young=1000, growth=1.2, quiet_seconds=0.01, cpu_seconds=lambda: 0.0)):
        monkeypatch.setattr(gc, "freeze", slow_freeze)
        a, b = Node(), Node()
        a.other, b.other = b, a
        cycle = weakref.ref(a)
        real_freeze()  # died frozen, as a skipped young collection leaves it
        del a, b
        before = policy.full_collections
        kept: list[list[int]] = []
        while policy.full_collections == before:
            kept.append([len(kept) + 1000])
            if policy.collector is not None and policy.collector.is_alive() and not armed:
                armed = True
            assert len(kept) < 5_000_000
        assert policy.collector is not None
        policy.collector.join(10)
        assert cycle() is None


def test_a_due_full_collection_waits_while_requests_keep_coming() -> None:
    """A tenth of a core is 700 creates a second: CPU time alone took that for quiet, and the pause
    fell on them. Under `serve` the count of requests answered (uvicorn's) must stay under
    `quiet_requests` a window too."""
    flowing = True
    answered = 0

    def requests() -> int:
        nonlocal answered
        answered += 50 if flowing else 0
        return answered

    for policy in installed(HeapPolicy(young=1000, growth=1.2, quiet_seconds=0.01, cpu_seconds=lambda: 0.0)):
        policy.requests = requests
        before = policy.full_collections
        grow_until_due(policy, [])
        assert policy.collector is not None
        policy.collector.join(0.3)
        assert policy.collector.is_alive() and policy.full_collections == before
        flowing = False
        policy.collector.join(10)
        assert policy.full_collections == before + 1


def test_uninstalling_ends_a_full_collection_waiting_for_its_moment() -> None:
    load = BusyProcess()
    policy = HeapPolicy(young=1000, growth=1.2, quiet_seconds=0.01, cpu_seconds=load)
    for installed_policy in installed(policy):
        grow_until_due(installed_policy, [])
        waiting = installed_policy.collector
        before = installed_policy.full_collections
    assert waiting is not None and not waiting.is_alive()
    assert policy.full_collections == before  # ended without collecting a heap no longer its own


def test_a_waiting_thread_that_fails_leaves_the_next_growth_its_collection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failures: list[BaseException] = []
    monkeypatch.setattr(threading, "excepthook", lambda hook: failures.append(hook.exc_value))
    reads = 0

    def fails_once() -> float:
        nonlocal reads
        reads += 1
        if reads == 1:
            raise OSError("the CPU time could not be read")
        return 0.0

    for policy in installed(HeapPolicy(young=1000, growth=1.2, quiet_seconds=0.01, cpu_seconds=fails_once)):
        before = policy.full_collections
        grow_until_collected(policy, [])
        assert policy.full_collections > before
        assert len(failures) == 1 and isinstance(failures[0], OSError)
