"""Truedy's JSON for the core's objects, and the core's values from Truedy's request bodies."""

from __future__ import annotations

from typing import Any

from mock_server.core.models import (
    Agent,
    Batch,
    BatchContact,
    BatchSettings,
    Contact,
    Folder,
    PhoneNumber,
)
from mock_server.core.timefmt import parse_timestamp, timestamp

SETTING_FIELDS = (
    "name",
    "agent_id",
    "phone_number_ids",
    "phone_rotation_strategy",
    "contact_source",
    "contact_folder_id",
    "schedule_type",
    "scheduled_at",
    "timezone",
    "start_time",
    "end_time",
    "working_days",
    "max_concurrent_calls",
    "max_calls_per_day",
    "retry_failed",
    "max_retry_attempts",
)
_SETTINGS = frozenset(SETTING_FIELDS)
# fields whose JSON null means "the default" rather than "no value"
_NULL_MEANS_EMPTY_LIST = {"phone_number_ids"}


def setting_changes(body: dict[str, Any]) -> dict[str, Any]:
    """The batch settings a create or update body sets, as core values (unknown keys ignored)."""
    changes: dict[str, Any] = {}
    for name, value in body.items():
        if name not in _SETTINGS:
            continue
        if name == "scheduled_at" and value is not None:
            value = parse_timestamp(value, ("body", "scheduled_at"))
        elif name in _NULL_MEANS_EMPTY_LIST and value is None:
            value = []
        elif name == "working_days":
            value = list(value)
        changes[name] = value
    return changes


def settings_from_create(body: dict[str, Any]) -> BatchSettings:
    return BatchSettings(**setting_changes(body))


def batch(b: Batch) -> dict[str, Any]:
    s = b.settings
    c = b.counters
    return {
        "id": b.id,
        "name": s.name,
        "agent_id": s.agent_id,
        "status": b.status,
        "phone_number_ids": s.phone_number_ids,
        "phone_rotation_strategy": s.phone_rotation_strategy,
        "contact_source": s.contact_source,
        "contact_folder_id": s.contact_folder_id,
        "schedule_type": s.schedule_type,
        "scheduled_at": timestamp(s.scheduled_at),
        "timezone": s.timezone,
        "start_time": s.start_time,
        "end_time": s.end_time,
        "working_days": s.working_days,
        "max_concurrent_calls": s.max_concurrent_calls,
        "max_calls_per_day": s.max_calls_per_day,
        "retry_failed": s.retry_failed,
        "max_retry_attempts": s.max_retry_attempts,
        "total_contacts": b.total_contacts,
        "completed_contacts": c.completed,
        "successful_contacts": c.successful,
        "failed_contacts": c.failed,
        "voicemail_contacts": c.voicemail,
        "no_answer_contacts": c.no_answer,
        "total_cost_usd": round(c.total_cost_usd, 4),
        "average_duration_seconds": c.average_duration_seconds,
        "created_at": timestamp(b.created_at),
        "updated_at": timestamp(b.updated_at),
        **({"error_reason": b.error_reason} if b.error_reason is not None else {}),
    }


def batch_contact(c: BatchContact) -> dict[str, Any]:
    return {
        "contact_id": c.contact_id,
        "phone_number": c.phone_number,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "call_status": c.call_status,
        "call_id": c.call_id,
        "called_at": timestamp(c.called_at),
        "scheduled_at": timestamp(c.scheduled_at),
        "attempts": c.attempts,
        "outcome": c.outcome,
        "duration_seconds": c.duration_seconds,
        "cost_usd": round(c.cost_usd, 4),
        "error_reason": c.error_reason,
        "from_number": c.from_number,
        "from_phone_number_id": c.from_phone_number_id,
    }


def agent(a: Agent) -> dict[str, Any]:
    return {
        "id": a.id,
        "name": a.name,
        "status": a.status,
        "voice_ready": a.voice_ready,
        "ready_for_calls": a.ready_for_calls,
        "phone_number_ids": a.phone_number_ids,
        "created_at": timestamp(a.created_at),
    }


def phone_number(n: PhoneNumber) -> dict[str, Any]:
    return {
        "id": n.id,
        "phone_number": n.phone_number,
        "friendly_name": n.friendly_name,
        "agent_id": n.agent_id,
        "status": n.status,
        "created_at": timestamp(n.created_at),
    }


def folder(f: Folder, contact_count: int) -> dict[str, Any]:
    return {
        "id": f.id,
        "name": f.name,
        "description": f.description,
        "contact_count": contact_count,
        "created_at": timestamp(f.created_at),
    }


def contact(c: Contact) -> dict[str, Any]:
    return {
        "id": c.id,
        "phone_number": c.phone_number,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "email": c.email,
        "folder_id": c.folder_id,
        "created_at": timestamp(c.created_at),
    }
