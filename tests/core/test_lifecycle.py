"""What a dialect varies in the shared state machine: the Lifecycle table, and the dispatcher
commands that other dialects need (unschedule, fail, a new start, per-contact retries)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mock_server.core.batch_rules import STANDARD, Lifecycle
from mock_server.core.dispatcher import Dispatcher
from mock_server.core.errors import InvalidState
from mock_server.core.events import DomainEvent
from mock_server.core.ids import IdFactory
from mock_server.core.models import Batch, BatchContact, BatchSettings, BatchStatus, PhoneNumber
from mock_server.core.outcomes import MAGIC_NO_ANSWER, SimulationConfig

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC).timestamp()
HOUR = 3600.0
CALLER = [PhoneNumber("caller", "+14157774444", "caller", None, NOW)]
EVERY_DAY = [1, 2, 3, 4, 5, 6, 7]
STRICT = Lifecycle(allowed_from={"execute": ("draft",)}, removable=("draft",), cancellable=())


def batch(status: BatchStatus = "draft", *numbers: str, retries: int | None = None) -> Batch:
    phones = numbers or ("+12025550123",)
    contacts = [BatchContact(f"task_{i}", n, max_retries=retries) for i, n in enumerate(phones)]
    settings = BatchSettings(name="b", agent_id="", working_days=EVERY_DAY)
    return Batch("batch_1", "ws_1", settings, status, NOW, NOW, contacts)


def dispatcher(events: list[DomainEvent]) -> Dispatcher:
    return Dispatcher(seed=1, config=SimulationConfig(retry_delay_seconds=HOUR), emit=events.append,
                      ids=IdFactory(1))


def test_the_standard_lifecycle_is_truedys() -> None:
    assert STANDARD.removal(batch("draft")) == "remove"
    assert STANDARD.removal(batch("active")) == "cancel"
    STANDARD.require(batch("draft"), "schedule")
    with pytest.raises(InvalidState) as refused:
        STANDARD.require(batch("active"), "schedule")
    error = refused.value
    assert (error.action, error.status, error.allowed) == ("schedule", "active", ("draft",))


def test_a_dialects_lifecycle_can_refuse_delete() -> None:
    with pytest.raises(InvalidState) as refused:
        STRICT.removal(batch("completed"))
    assert (refused.value.action, refused.value.allowed) == ("delete", ("draft",))
    STRICT.require(batch("draft"), "execute")
    with pytest.raises(InvalidState):
        STRICT.require(batch("scheduled"), "execute")


def test_unschedule_returns_a_plan_to_draft() -> None:
    events: list[DomainEvent] = []
    d, b = dispatcher(events), batch()
    d.schedule(b, CALLER, NOW + HOUR, NOW)
    assert b.status == "scheduled" and b.contacts[0].scheduled_at == NOW + HOUR
    d.unschedule(b, NOW + 60)
    assert (b.status, b.contacts[0].call_status, b.contacts[0].scheduled_at) == ("draft", "pending", None)
    d.run_until(NOW + 2 * HOUR)
    assert b.counters.calls_placed == 0 and d.next_due() is None
    assert [e.data["status"] for e in events] == ["scheduled", "draft"]


def test_a_new_start_applies_before_the_first_dial() -> None:
    d, b = dispatcher([]), batch()
    d.schedule(b, CALLER, NOW + HOUR, NOW)
    d.replan(b, NOW, start_at=NOW)
    d.run_until(NOW)
    assert (b.status, b.counters.calls_placed, b.contacts[0].called_at) == ("active", 1, NOW)


@pytest.mark.parametrize("status", ["draft", "scheduled"])
def test_fail_before_the_first_dial(status: str) -> None:
    events: list[DomainEvent] = []
    d, b = dispatcher(events), batch("draft", "+12025550123", "+12025550124")
    if status == "scheduled":
        d.schedule(b, CALLER, NOW + HOUR, NOW)
    d.fail(b, NOW)
    assert b.status == "failed" and {c.call_status for c in b.contacts} == {"cancelled"}
    assert b.counters.cancelled == 2 and d.next_due() is None
    assert events[-1].data == {"batch_id": "batch_1", "previous_status": status, "status": "failed"}


@pytest.mark.parametrize("retries,attempts", [(0, 1), (2, 3), (None, 1)])
def test_a_contacts_own_retry_limit(retries: int | None, attempts: int) -> None:
    d, b = dispatcher([]), batch("draft", MAGIC_NO_ANSWER, retries=retries)
    d.schedule(b, CALLER, NOW, NOW)
    d.run_until(NOW + 10 * HOUR)
    contact = b.contacts[0]
    assert (b.status, contact.attempts, contact.call_status) == ("completed", attempts, "no_answer")
