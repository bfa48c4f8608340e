"""The rules of a batch that a JSON schema cannot say: cross-field checks, lifecycle guards and every
documented business rule (422) of a batch, raised here and nowhere else."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mock_server.core.errors import BusinessRuleViolation, InvalidState, Violation
from mock_server.core.models import Agent, Batch, BatchSettings

EDITABLE_LIVE = ("draft", "scheduled", "paused")  # update's statuses with --live-edits


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """The part of the batch state machine a dialect may vary: which statuses allow which command,
    what DELETE does, and what a provider error at start does. The transitions themselves (the
    dispatcher's) are shared."""

    allowed_from: Mapping[str, tuple[str, ...]]
    removable: tuple[str, ...]  # DELETE removes the batch
    cancellable: tuple[str, ...]  # DELETE stops the batch and keeps it as cancelled
    # a provider error when a batch starts: "refuse" = 422 scheduling_failed and nothing changes;
    # "fail" = the batch becomes failed (answered normally)
    start_failure: Literal["refuse", "fail"] = "refuse"
    refused_with: int = 422  # the HTTP status of a command its status does not allow (InvalidState)

    def require(self, batch: Batch, action: str, allowed: Sequence[str] | None = None) -> None:
        permitted = tuple(allowed) if allowed is not None else self.allowed_from[action]
        if batch.status not in permitted:
            raise InvalidState(action, batch.status, permitted, self.refused_with)

    def removal(self, batch: Batch) -> Literal["remove", "cancel"]:
        """What DELETE does to the batch in its status, or InvalidState when it refuses."""
        if batch.status in self.removable:
            return "remove"
        if batch.status in self.cancellable:
            return "cancel"
        raise InvalidState("delete", batch.status, self.removable + self.cancellable, self.refused_with)

    def provider_failed(self, batch: Batch) -> None:
        """The telephony provider refused to start the batch: 422 scheduling_failed (nothing
        changes) when this lifecycle refuses; it returns when the batch is to fail instead."""
        if self.start_failure == "refuse":
            raise BusinessRuleViolation(
                "scheduling_failed",
                "the telephony provider refused to schedule the batch call; it stays in draft",
                {"batch_call_id": batch.id, "provider_error": "simulated"},
            )


# Truedy's public API, the default
STANDARD = Lifecycle(
    allowed_from={
        "update": ("draft",),
        "schedule": ("draft",),
        "pause": ("scheduled", "active"),
        "resume": ("paused",),
        "upload contacts to": ("draft",),
    },
    removable=("draft", "completed", "failed", "cancelled"),
    cancellable=("scheduled", "active", "paused"),
)


@lru_cache(maxsize=1024)
def is_timezone(name: str) -> bool:
    if not name or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def settings_violations(settings: BatchSettings) -> list[Violation]:
    """Every cross-field violation of a batch's settings, as request-validation errors."""
    problems: list[Violation] = []
    if not is_timezone(settings.timezone):
        problems.append(
            Violation(
                ("body", "timezone"), f"'{settings.timezone}' is not an IANA time zone", "timezone_error"
            )
        )
    if (settings.start_time is None) != (settings.end_time is None):
        missing = "end_time" if settings.end_time is None else "start_time"
        problems.append(
            Violation(
                ("body", missing), "start_time and end_time go together: give both or neither", "missing"
            )
        )
    elif settings.start_time is not None and settings.end_time is not None:
        if settings.start_time >= settings.end_time:
            problems.append(
                Violation(("body", "end_time"), "end_time must be later than start_time", "value_error")
            )
    if settings.schedule_type == "scheduled" and settings.scheduled_at is None:
        problems.append(
            Violation(
                ("body", "scheduled_at"),
                "scheduled_at is required when schedule_type is 'scheduled'",
                "missing",
            )
        )
    if settings.contact_source == "folder" and settings.contact_folder_id is None:
        problems.append(
            Violation(
                ("body", "contact_folder_id"),
                "contact_folder_id is required when contact_source is 'folder'",
                "missing",
            )
        )
    return problems


def require_creatable(settings: BatchSettings, agent: Agent, now: float, *, timing: bool = True) -> list[str]:
    """The business rules the settings of a created (or changed) batch meet, in the order they are
    answered; `timing`: its start is checked too. The outbound numbers it will use."""
    if timing and settings.schedule_type == "scheduled":
        require_future(settings.scheduled_at, now)
    require_ready(agent)
    return require_numbers(settings.phone_number_ids, agent)


def require_contacts(batch: Batch) -> None:
    if not batch.contacts:
        raise BusinessRuleViolation(
            "no_contacts", "the batch call has no contacts to call", {"batch_call_id": batch.id}
        )


def require_future(scheduled_at: float | None, now: float) -> None:
    if scheduled_at is not None and scheduled_at <= now:
        raise BusinessRuleViolation(
            "scheduled_at_in_past",
            "scheduled_at must be in the future",
            {"scheduled_at_epoch": scheduled_at, "now_epoch": now},
        )


def require_ready(agent: Agent) -> None:
    if not agent.ready_for_calls:
        reason = "is not active" if agent.status != "active" else "has no synced voice"
        raise BusinessRuleViolation(
            "agent_not_ready",
            f"agent '{agent.id}' {reason} and cannot place calls",
            {"agent_id": agent.id, "status": agent.status, "voice_ready": agent.voice_ready},
        )


def require_numbers(number_ids: Sequence[str], agent: Agent) -> list[str]:
    """The outbound numbers a batch will use: its own, else the agent's."""
    usable = list(number_ids) or list(agent.phone_number_ids)
    if not usable:
        raise BusinessRuleViolation(
            "no_phone_numbers",
            f"no outbound phone number: none given and none assigned to agent '{agent.id}'",
            {"agent_id": agent.id},
        )
    return usable
