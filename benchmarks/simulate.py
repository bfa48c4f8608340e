"""Wall time and peak memory of the dispatcher playing a realistic campaign through a week.

Campaign: Mon–Fri 09:00–17:00 America/New_York, 50 concurrent calls, 20,000 dials a day,
retries on (2 more attempts), two numbers round-robin; scheduled on a Monday 08:00 local and
played through seven days of manual time in one `run_until` (and, last, in one-minute steps).
Every event is kept in a list, as the mock's event log would.

    python benchmarks/simulate.py [sizes...]
"""

from __future__ import annotations

import resource
import sys
import time
import tracemalloc
from datetime import datetime
from zoneinfo import ZoneInfo

from mock_server.core.dispatcher import Dispatcher
from mock_server.core.events import DomainEvent
from mock_server.core.ids import IdFactory
from mock_server.core.models import Batch, BatchContact, BatchSettings, PhoneNumber
from mock_server.core.outcomes import SimulationConfig

START = datetime(2026, 3, 2, 8, 0, tzinfo=ZoneInfo("America/New_York")).timestamp()  # a Monday
WEEK = 7 * 86400


def build(n: int) -> tuple[Batch, list[PhoneNumber]]:
    settings = BatchSettings(
        name="bench",
        agent_id="agt_1",
        phone_number_ids=["num_1", "num_2"],
        phone_rotation_strategy="round_robin",
        timezone="America/New_York",
        start_time="09:00",
        end_time="17:00",
        working_days=[1, 2, 3, 4, 5],
        max_concurrent_calls=50,
        max_calls_per_day=20_000,
        retry_failed=True,
        max_retry_attempts=2,
    )
    contacts = [BatchContact(f"ctc_{i:08x}", f"+1202{i:07d}") for i in range(n)]
    batch = Batch("batch_bench", "ws_1", settings, "draft", START, START, contacts)
    numbers = [PhoneNumber(f"num_{i}", f"+1415555000{i}", f"line {i}", "agt_1", START) for i in (1, 2)]
    return batch, numbers


def play(n: int, step: float = WEEK) -> tuple[list[float], Batch, list[DomainEvent]]:
    t0 = time.perf_counter()
    batch, numbers = build(n)
    t1 = time.perf_counter()
    events: list[DomainEvent] = []
    dispatcher = Dispatcher(seed=42, config=SimulationConfig(), emit=events.append, ids=IdFactory(42))
    dispatcher.schedule(batch, numbers, START, START)
    t2 = time.perf_counter()
    t = START
    while t < START + WEEK:
        t = min(t + step, START + WEEK)
        dispatcher.run_until(t)
    t3 = time.perf_counter()
    return [t1 - t0, t2 - t1, t3 - t2, t3 - t0], batch, events


def run(n: int) -> None:
    (build_s, schedule_s, week_s, total_s), batch, events = play(n)
    del batch, events
    # Peak memory from a second, traced run: tracemalloc slows Python down several times.
    tracemalloc.start()
    _, batch, events = play(n)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    k = batch.counters
    print(
        f"{n:>7} contacts: build {build_s:5.2f}s  schedule {schedule_s:5.2f}s  week {week_s:5.2f}s  "
        f"total {total_s:5.2f}s  peak {peak / 2**20:6.1f} MiB traced | {k.calls_placed} calls, "
        f"{k.completed} contacts done, status {batch.status}, {len(events)} events"
    )


if __name__ == "__main__":
    for size in [int(a) for a in sys.argv[1:]] or [1_000, 10_000, 100_000]:
        run(size)
    stepped_s = play(100_000, step=60)[0][2]
    print(f" 100000 contacts, run_until every simulated minute ({WEEK // 60} calls): week {stepped_s:5.2f}s")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process max RSS {rss:.0f} MiB")
