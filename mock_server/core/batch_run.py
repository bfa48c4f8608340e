"""One scheduled batch's run state and its bookkeeping: the queue of contacts still to dial, and the
record of each call as it starts and ends.

A batch's not-yet-dialled contacts are the tail `contacts[cursor:]`: the plan gives them
non-decreasing `scheduled_at` in contact order, so dialling in `(scheduled_at, index)` order is a
cursor walk, merged with a small heap of contacts waiting for a retry. Nothing here owns the clock,
the event heap or the event sink: the dispatcher decides when things happen and tells the world.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field

from .ids import IdFactory
from .models import Batch, DayTally, PhoneNumber
from .outcomes import RETRYABLE_OUTCOMES, CallResult, OutcomeModel
from .planner import CallingCalendar, Window, plan_slots

STOPPED: frozenset[str] = frozenset({"cancelled", "failed"})  # stopped by a command: no retries


@dataclass(slots=True)
class Call:
    """A call in progress, queued in the dispatcher's heap until it ends."""

    index: int
    call_id: str
    number: PhoneNumber
    result: CallResult
    date: str  # local day the call started on, for the per-day tally


@dataclass(slots=True)
class Run:
    """A scheduled batch's runtime state (never exported; rebuilt by scheduling)."""

    batch: Batch
    numbers: list[PhoneNumber]
    cal: CallingCalendar
    outcomes: OutcomeModel
    rotation: random.Random  # for the `random` strategy
    start_at: float
    cursor: int = 0
    retries: list[tuple[float, int]] = field(default_factory=list)  # heap of (due, index)
    open_contacts: int = 0  # not yet terminal
    in_progress: int = 0
    busy: dict[str, int] = field(default_factory=dict)  # phone number id → calls in progress
    round_robin: int = 0
    dialled: dict[int, int] = field(default_factory=dict)  # local-day ordinal → dials
    wake_at: float | None = None
    wake_gen: int = 0

    # -- the pending contacts ----------------------------------------------------------------

    def earliest(self) -> float | None:
        """When the next pending contact is due, or None when none is pending."""
        contacts = self.batch.contacts
        fresh = contacts[self.cursor].scheduled_at if self.cursor < len(contacts) else None
        retry = self.retries[0][0] if self.retries else None
        if fresh is None:
            return retry
        return fresh if retry is None else min(fresh, retry)

    def planned(self, start: float) -> list[float]:
        """When each contact from the cursor on falls due if planned from `start`; changes nothing."""
        dues: list[float] = []
        for at, n in plan_slots(self.cal, len(self.batch.contacts) - self.cursor, start, self.dialled):
            dues.extend([at] * n)
        return dues

    def plan_fresh(self, start: float, dues: list[float] | None = None) -> None:
        """Plan the contacts from the cursor on (with `dues` when already computed)."""
        dues = self.planned(start) if dues is None else dues
        for c, at in zip(self.batch.contacts[self.cursor :], dues, strict=True):
            c.scheduled_at = at

    def replan_pending(self, now: float) -> None:
        self.plan_fresh(max(now, self.start_at))
        contacts = self.batch.contacts
        moved = []
        for due, i in self.retries:
            due = self.cal.next_window_start(max(due, now))
            contacts[i].scheduled_at = due
            moved.append((due, i))
        heapq.heapify(moved)
        self.retries = moved

    def roll(self, w: Window) -> None:
        """Pending contacts due before window `w` missed their window: they move to `w`."""
        contacts = self.batch.contacts
        if self.cursor < len(contacts):
            head = contacts[self.cursor].scheduled_at
            if head is not None and head < w.open:
                self.plan_fresh(w.open)
        retries = self.retries
        if retries and retries[0][0] < w.open:
            late = []
            while retries and retries[0][0] < w.open:
                late.append(heapq.heappop(retries)[1])
            for i in late:
                contacts[i].scheduled_at = w.open
                heapq.heappush(retries, (w.open, i))

    def drop_pending(self) -> None:
        """Cancel every contact not yet dialled or waiting for a retry."""
        contacts = self.batch.contacts
        dropped = contacts[self.cursor :] + [contacts[i] for _, i in self.retries]
        for c in dropped:
            c.call_status = "cancelled"
        self.cursor = len(contacts)
        self.retries = []
        self.open_contacts -= len(dropped)
        self.batch.counters.cancelled += len(dropped)

    # -- the calls ---------------------------------------------------------------------------

    def pick_number(self) -> PhoneNumber:
        numbers = self.numbers
        if len(numbers) == 1:
            return numbers[0]
        strategy = self.batch.settings.phone_rotation_strategy
        if strategy == "round_robin":
            self.round_robin += 1
            return numbers[(self.round_robin - 1) % len(numbers)]
        if strategy == "sequential":
            return next((p for p in numbers if not self.busy.get(p.id)), numbers[0])
        return numbers[self.rotation.randrange(len(numbers))]

    def dial(self, idx: int, now: float, w: Window, ids: IdFactory) -> Call:
        """Start a call to contact `idx` in window `w` and record it; returns the call in progress."""
        b = self.batch
        c = b.contacts[idx]
        number = self.pick_number()
        result = self.outcomes.draw(c.phone_number, c.attempts + 1)
        call_id = ids.new("call")
        c.attempts += 1
        c.call_id = call_id
        c.called_at = now
        c.call_status = "in_progress"
        c.from_number = number.phone_number
        c.from_phone_number_id = number.id
        self.in_progress += 1
        self.busy[number.id] = self.busy.get(number.id, 0) + 1
        self.dialled[w.day] = self.dialled.get(w.day, 0) + 1
        b.counters.calls_placed += 1
        tally = b.by_day.get(w.date)
        if tally is None:
            tally = b.by_day[w.date] = DayTally()
        tally.calls_placed += 1
        b.updated_at = now
        return Call(idx, call_id, number, result, w.date)

    def end_call(self, call: Call, now: float, retry_delay_seconds: float) -> None:
        """Record a call's outcome; its contact waits for a retry or becomes terminal."""
        b = self.batch
        s = b.settings
        c = b.contacts[call.index]
        r = call.result
        self.in_progress -= 1
        self.busy[call.number.id] -= 1
        c.outcome = r.outcome
        c.error_reason = r.error_reason
        c.duration_seconds = r.duration_seconds
        c.cost_usd += r.cost_usd
        counters = b.counters
        counters.calls_finished += 1
        counters.total_duration_seconds += r.duration_seconds
        counters.total_cost_usd += r.cost_usd
        tally = b.by_day[call.date]
        tally.duration_seconds += r.duration_seconds
        tally.cost_usd += r.cost_usd
        outcome = r.outcome
        if outcome == "completed":
            tally.successful += 1
        else:
            tally.failed += 1
            if outcome == "voicemail":
                tally.voicemail += 1
            elif outcome == "no_answer":
                tally.no_answer += 1
        retries = c.max_retries
        if retries is None:
            retries = s.max_retry_attempts if s.retry_failed else 0
        if outcome in RETRYABLE_OUTCOMES and c.attempts <= retries and b.status not in STOPPED:
            due = self.cal.next_window_start(now + retry_delay_seconds)
            c.scheduled_at = due
            c.call_status = "scheduled"
            heapq.heappush(self.retries, (due, call.index))
        else:
            c.call_status = outcome
            self.open_contacts -= 1
            if outcome == "completed":
                counters.successful += 1
            else:
                counters.failed += 1
                if outcome == "voicemail":
                    counters.voicemail += 1
                elif outcome == "no_answer":
                    counters.no_answer += 1
        b.updated_at = now
