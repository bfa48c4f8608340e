"""The discrete-event dispatcher: places simulated calls on the simulated clock.

One heap holds two kinds of entries: the end of a call in progress, and at most one live
"wake-up" per batch (older wake-ups are invalidated by a generation number, not removed). A
batch's pending contacts and the bookkeeping of its calls live in its `Run` (`batch_run`): dialling
is a cursor walk merged with a small heap of retries. Work is per call and per window, never per
contact per tick, so a week of a 100k-contact campaign plays in about a second.

The caller checks the lifecycle rules (422s) first; every command runs due events up to `now`
before acting, so the events it emits stay in time order.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Sequence
from typing import Any

from .batch_run import STOPPED, Call, Run
from .events import DomainEvent, EventSink
from .ids import IdFactory
from .models import Batch, BatchStatus, PhoneNumber
from .outcomes import OutcomeModel, SimulationConfig, batch_rng
from .planner import CallingCalendar, Window

# (time, seq, batch id, call or None for a wake-up, wake generation)
_Entry = tuple[float, int, str, Call | None, int]


class Overtaken(Exception):
    """A command found its batch moved on by the events due at its own instant, which it runs first:
    the caller refuses the command as the batch's status now says (`services.batches`)."""

    def __init__(self, status: str) -> None:
        super().__init__(f"the batch is {status} by now")
        self.status = status


class Dispatcher:
    def __init__(self, *, seed: int, config: SimulationConfig, emit: EventSink, ids: IdFactory) -> None:
        self._seed = seed
        self._config = config
        self._sink = emit
        self._ids = ids
        self._heap: list[_Entry] = []
        self.events_run = 0  # every event run so far: a change of state between two requests
        self._seq = itertools.count()
        self._runs: dict[str, Run] = {}
        self._now = float("-inf")

    # -- commands --------------------------------------------------------------------------

    def schedule(self, batch: Batch, numbers: Sequence[PhoneNumber], start_at: float, now: float) -> None:
        """draft → scheduled: plan every contact from `start_at` (not before `now`) and enqueue."""
        now = self._catch_up(now)
        assert batch.status == "draft", batch.status
        if not numbers:
            raise ValueError("a batch needs at least one phone number to call from")
        if not batch.contacts:
            raise ValueError("a batch needs at least one contact")
        rt = Run(
            batch=batch,
            numbers=list(numbers),
            cal=CallingCalendar(batch.settings),
            outcomes=OutcomeModel(self._config, batch_rng(self._seed, batch.id, "outcomes")),
            rotation=batch_rng(self._seed, batch.id, "rotation"),
            start_at=max(start_at, now),
            open_contacts=len(batch.contacts),
        )
        dues = rt.planned(rt.start_at)  # compute first: if planning raises, nothing has changed
        for c in batch.contacts:
            c.call_status = "scheduled"
        rt.plan_fresh(rt.start_at, dues)
        self._runs[batch.id] = rt
        self._set_status(rt, "scheduled", now)
        self._wake(rt, rt.earliest())

    def pause(self, batch: Batch, now: float) -> None:
        """scheduled|active → paused: no new calls; calls in progress finish."""
        now = self._catch_up(now)
        rt = self._still(batch, ("scheduled", "active"))
        self._wake(rt, None)
        self._set_status(rt, "paused", now)

    def resume(self, batch: Batch, now: float) -> None:
        """paused → scheduled|active: pending contacts re-planned from now (or the start, if later)."""
        now = self._catch_up(now)
        rt = self._still(batch, ("paused",))
        rt.replan_pending(now)
        if rt.open_contacts == 0:
            self._complete(rt, now)
            return
        earliest = rt.earliest()
        due_now = earliest is not None and earliest <= now
        self._set_status(rt, "active" if rt.in_progress or due_now else "scheduled", now)
        self._wake(rt, earliest)

    def cancel(self, batch: Batch, now: float) -> None:
        """scheduled|active|paused → cancelled: pending contacts cancelled; calls in progress finish."""
        self._stop(batch, now, "cancelled")

    def _stop(self, batch: Batch, now: float, final: BatchStatus) -> None:
        now = self._catch_up(now)
        rt = self._still(batch, ("scheduled", "active", "paused"))
        rt.drop_pending()
        self._wake(rt, None)
        self._set_status(rt, final, now)
        self._retire_if_idle(rt)

    def replan(
        self,
        batch: Batch,
        now: float,
        numbers: Sequence[PhoneNumber] | None = None,
        start_at: float | None = None,
    ) -> None:
        """Live edit (settings already changed): re-plan pending contacts; finished ones untouched.

        Before the first dial a new start moment applies: `start_at` if given, else the settings'.
        """
        now = self._catch_up(now)
        rt = self._still(batch, ("scheduled", "active", "paused"))
        s = batch.settings
        rt.cal = CallingCalendar(s)
        if numbers:
            rt.numbers = list(numbers)
        if batch.counters.calls_placed == 0:
            if start_at is not None:
                rt.start_at = max(start_at, now)
            elif s.schedule_type == "scheduled" and s.scheduled_at:
                rt.start_at = s.scheduled_at
        rt.replan_pending(now)
        batch.updated_at = now
        if batch.status != "paused":
            self._wake(rt, rt.earliest())

    def unschedule(self, batch: Batch, now: float) -> None:
        """scheduled → draft before the first dial: the plan is dropped, the contacts wait again."""
        now = self._catch_up(now)
        if batch.counters.calls_placed:
            raise Overtaken(batch.status)
        self._still(batch, ("scheduled",))
        self.forget(batch.id)
        for c in batch.contacts:
            c.call_status = "pending"
            c.scheduled_at = None
        self._set_batch_status(batch, "draft", now)

    def fail(self, batch: Batch, now: float) -> None:
        """A provider error: draft|scheduled|active|paused → failed. Contacts not yet called are
        cancelled; calls in progress finish and are recorded, and are never retried."""
        if batch.id in self._runs:
            self._stop(batch, now, "failed")
            return
        now = self._catch_up(now)
        assert batch.status == "draft", batch.status
        for c in batch.contacts:
            c.call_status = "cancelled"
        batch.counters.cancelled += len(batch.contacts)
        self._set_batch_status(batch, "failed", now)

    def forget(self, batch_id: str) -> None:
        """The batch was deleted: drop its runtime state and queued events."""
        if self._runs.pop(batch_id, None) is not None:
            self._heap = [e for e in self._heap if e[2] != batch_id]
            heapq.heapify(self._heap)

    # -- the event loop --------------------------------------------------------------------

    def run_until(self, t: float) -> int:
        """Run every due event with time <= t in (time, seq) order; returns how many ran."""
        heap, runs = self._heap, self._runs
        ran = 0
        while heap and heap[0][0] <= t:
            at, _, batch_id, call, gen = heapq.heappop(heap)
            rt = runs.get(batch_id)
            if rt is None:
                continue
            if call is None and gen != rt.wake_gen:
                continue  # superseded wake-up
            self._now = at
            try:
                if call is None:
                    rt.wake_at = None
                    self._pump(rt, at)
                else:
                    self._end_call(rt, call, at)
            except Exception as exc:  # a bug in one batch's simulation fails that batch alone
                self._poisoned(rt, at, exc)
            ran += 1
        if t > self._now:
            self._now = t
        self.events_run += ran
        return ran

    def next_due(self) -> float | None:
        """Time of the next live event, or None when nothing is queued."""
        heap = self._heap
        while heap:
            _, _, batch_id, call, gen = heap[0]
            rt = self._runs.get(batch_id)
            if rt is not None and (call is not None or gen == rt.wake_gen):
                return heap[0][0]
            heapq.heappop(heap)
        return None

    # -- internals ---------------------------------------------------------------------------

    def _catch_up(self, now: float) -> float:
        self.run_until(now)
        return max(now, self._now)

    def _still(self, batch: Batch, statuses: tuple[BatchStatus, ...]) -> Run:
        """The batch's run, once a command's catch-up ran the events due by now: they may have moved
        it on (a call due now that ended at once completed it), and the command does not apply."""
        rt = self._runs.get(batch.id)
        if rt is None or batch.status not in statuses:
            raise Overtaken(batch.status)
        return rt

    def _push(self, at: float, batch_id: str, call: Call | None, gen: int) -> None:
        heapq.heappush(self._heap, (at, next(self._seq), batch_id, call, gen))

    def _wake(self, rt: Run, at: float | None) -> None:
        if at == rt.wake_at:
            return
        rt.wake_gen += 1
        rt.wake_at = at
        if at is not None:
            self._push(at, rt.batch.id, None, rt.wake_gen)

    def _emit(self, batch: Batch, kind: str, at: float, data: dict[str, Any]) -> None:
        self._sink(DomainEvent(kind, batch.workspace_id, at, data))

    def _set_status(self, rt: Run, status: BatchStatus, at: float) -> None:
        self._set_batch_status(rt.batch, status, at)

    def _set_batch_status(self, b: Batch, status: BatchStatus, at: float) -> None:
        previous = b.status
        if previous == status:
            return
        b.status = status
        b.updated_at = at
        self._emit(b, "batch.status.changed", at, {
            "batch_id": b.id, "previous_status": previous, "status": status,
        })

    def _pump(self, rt: Run, now: float) -> None:
        """Dial every contact that may start at `now`, then arrange the next wake-up."""
        b = rt.batch
        if b.status != "scheduled" and b.status != "active":
            return
        cap = rt.cal.cap
        limit = b.settings.max_concurrent_calls
        contacts = b.contacts
        n = len(contacts)
        retries = rt.retries
        while True:
            w = rt.cal.next_window(now)
            if w.open > now:  # between windows
                rt.roll(w)
                self._wake(rt, rt.earliest())
                return
            used = rt.dialled.get(w.day, 0)
            if cap is not None and used >= cap:  # today's quota is spent
                rt.roll(rt.cal.next_window(w.close))
                self._wake(rt, rt.earliest())
                return
            while rt.in_progress < limit and (cap is None or used < cap):
                retry = False
                if rt.cursor < n:
                    idx = rt.cursor
                    due = contacts[idx].scheduled_at
                    assert due is not None
                    if retries and retries[0] < (due, idx):
                        due, idx = retries[0]
                        retry = True
                elif retries:
                    due, idx = retries[0]
                    retry = True
                else:
                    self._wake(rt, None)  # nothing pending: the last call's end completes the batch
                    return
                if due > now:
                    self._wake(rt, due)
                    return
                if retry:
                    heapq.heappop(retries)
                else:
                    rt.cursor += 1
                self._dial(rt, idx, now, w)
                used += 1
            if cap is None or used < cap:
                self._wake(rt, None)  # every line busy: the next call's end pumps again
                return

    def _dial(self, rt: Run, idx: int, now: float, w: Window) -> None:
        b = rt.batch
        call = rt.dial(idx, now, w, self._ids)
        c = b.contacts[idx]
        if b.status == "scheduled":
            self._set_status(rt, "active", now)
        self._emit(b, "call.started", now, {
            "batch_id": b.id, "call_id": call.call_id, "contact_id": c.contact_id,
            "phone_number": c.phone_number, "from_number": call.number.phone_number, "attempt": c.attempts,
        })
        self._push(now + call.result.duration_seconds, b.id, call, 0)

    def _end_call(self, rt: Run, call: Call, now: float) -> None:
        b = rt.batch
        c = b.contacts[call.index]
        r = call.result
        rt.end_call(call, now, self._config.retry_delay_seconds)
        outcome = r.outcome
        data = {
            "batch_id": b.id, "call_id": call.call_id, "contact_id": c.contact_id,
            "phone_number": c.phone_number, "from_number": call.number.phone_number,
            "attempt": c.attempts, "outcome": outcome, "duration_seconds": r.duration_seconds,
            "cost_usd": r.cost_usd,
        }
        self._emit(b, "call.ended", now, data)
        if outcome == "failed":
            self._emit(b, "call.failed", now, {**data, "error_reason": r.error_reason})
        if rt.open_contacts == 0 and b.status in ("active", "paused"):
            self._complete(rt, now)
        elif b.status in STOPPED:
            self._retire_if_idle(rt)
        else:
            self._pump(rt, now)

    def _complete(self, rt: Run, now: float) -> None:
        b = rt.batch
        self._wake(rt, None)
        self._set_status(rt, "completed", now)
        k = b.counters
        self._emit(b, "batch.completed", now, {
            "batch_id": b.id, "total_contacts": len(b.contacts), "completed_contacts": k.completed,
            "successful_contacts": k.successful, "failed_contacts": k.failed,
            "voicemail_contacts": k.voicemail, "no_answer_contacts": k.no_answer,
            "total_cost_usd": round(k.total_cost_usd, 4),
        })
        self._retire_if_idle(rt)

    def _poisoned(self, rt: Run, now: float, exc: Exception) -> None:
        """The batch's simulation raised: it ends `failed` with the reason, its queued events are
        dropped, and every other batch goes on."""
        b = rt.batch
        self._runs.pop(b.id, None)
        try:
            rt.drop_pending()
        except Exception:  # its bookkeeping may be what broke; the status changes all the same
            pass
        b.error_reason = f"simulation_error: {type(exc).__name__}"
        previous = b.status
        b.status = "failed"
        b.updated_at = now
        self._emit(b, "batch.status.changed", now, {
            "batch_id": b.id, "previous_status": previous, "status": "failed", "error_reason": b.error_reason,
        })

    def _retire_if_idle(self, rt: Run) -> None:
        """A finished batch with no call in progress needs no runtime state any more."""
        if rt.in_progress == 0:
            self._runs.pop(rt.batch.id, None)
