"""Zudu's JSON for the core's objects, and the core's values from Zudu's request bodies.

Zudu's times are Unix milliseconds (integers); the core's are POSIX seconds (floats).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson

from mock_server.core.batch_rules import is_timezone
from mock_server.core.contact_rows import ContactRow
from mock_server.core.errors import RequestInvalid, Violation
from mock_server.core.models import Batch, BatchContact, BatchSettings, BatchStatus
from mock_server.core.timefmt import LATEST
from mock_server.dialects.zudu import rules

ERROR_MESSAGES = {  # a finished task's outcome -> Zudu's task error_message
    "voicemail": "reached voicemail",
    "no_answer": "no answer",
    "busy": "line busy",
    "invalid_number": "invalid number",
    "carrier_error": "carrier error",
    "cancelled": "not dialled: the batch call failed",
}


MAX_TRIGGER_MS = int(LATEST * 1000)  # 9999-01-01T00:00:00Z: the planner's calendar ends there


def ms(t: float | None) -> int | None:
    return None if t is None else round(t * 1000)


def seconds(value: int) -> float:
    return value / 1000


# requests ----------------------------------------------------------------------------------------
def _timing(body: Mapping[str, Any], now: float, problems: list[Violation], *, needed: bool) -> float | None:
    """`trigger_timestamp` in seconds; checked to be in the future when the batch is to be scheduled."""
    raw = body.get("trigger_timestamp")
    loc = ("body", "trigger_timestamp")
    if raw is None:
        if needed:
            problems.append(Violation(loc, "trigger_timestamp is needed to schedule a batch call", "missing"))
        return None
    if raw > MAX_TRIGGER_MS:  # the calendar (and so the planner) ends with year 9999
        message = f"trigger_timestamp must be at most {MAX_TRIGGER_MS}"
        problems.append(Violation(loc, message, "less_than_equal"))
        return None
    at = seconds(raw)
    if needed and at <= now:
        problems.append(Violation(loc, "trigger_timestamp must be in the future", "value_error"))
    return at


def _timezone(body: Mapping[str, Any], problems: list[Violation]) -> str | None:
    zone = body.get("timezone")
    if zone is not None and not is_timezone(zone):
        problem = Violation(("body", "timezone"), f"'{zone}' is not an IANA time zone", "timezone_error")
        problems.append(problem)
    return zone if isinstance(zone, str) else None


def _tasks(body: Mapping[str, Any], problems: list[Violation]) -> list[ContactRow]:
    caller = body["from_number"]
    seen: dict[str, int] = {}
    rows: list[ContactRow] = []
    for i, task in enumerate(body["tasks"]):
        number = task["to_number"]
        loc = ("body", "tasks", i, "to_number")
        if number == caller:
            problems.append(Violation(loc, "to_number must differ from from_number", "value_error"))
        elif number in seen:
            problems.append(Violation(loc, f"to_number repeats tasks[{seen[number]}]", "value_error"))
        seen.setdefault(number, i)
        variables = task.get("dynamic_variables") or {}
        if len(orjson.dumps(variables)) > rules.MAX_DYNAMIC_VARIABLES_BYTES:
            problems.append(
                Violation(
                    ("body", "tasks", i, "dynamic_variables"),
                    f"dynamic_variables must be at most {rules.MAX_DYNAMIC_VARIABLES_BYTES} bytes of JSON",
                    "too_long",
                )
            )
        rows.append(ContactRow(number, variables=variables, max_retries=int(task.get("max_retries", 0))))
    return rows


def create_request(
    body: Mapping[str, Any], now: float
) -> tuple[BatchSettings, list[ContactRow], BatchStatus]:
    """Settings, tasks and the status the new batch is to reach; every cross-field problem at once."""
    problems: list[Violation] = []
    status, send_now = body.get("status"), bool(body.get("send_now", False))
    if send_now and status in ("draft", "scheduled"):
        problems.append(
            Violation(
                ("body", "send_now"),
                f"send_now: true starts the batch call at once; it contradicts status '{status}'",
                "value_error",
            )
        )
    if send_now or status == "sent":
        target: BatchStatus = "active"
    elif status == "scheduled" or (status is None and body.get("trigger_timestamp") is not None):
        target = "scheduled"
    else:
        target = "draft"
    at = _timing(body, now, problems, needed=target == "scheduled")
    zone = _timezone(body, problems)
    tasks = _tasks(body, problems)
    if problems:
        raise RequestInvalid(problems)
    settings = BatchSettings(
        name=body.get("name", ""),
        agent_id=body.get("agent_id", ""),  # "" = none: Zudu's agent is a label, not a sandbox resource
        scheduled_at=at,
        timezone=zone or "UTC",
        working_days=list(rules.EVERY_DAY),
        max_concurrent_calls=rules.MAX_CONCURRENT_CALLS,
        caller_number=body["from_number"],
    )
    return settings, tasks, target


def update_request(body: Mapping[str, Any], now: float) -> tuple[dict[str, Any], BatchStatus | None]:
    """The settings a PATCH changes (core names) and the status it asks for."""
    problems: list[Violation] = []
    changes: dict[str, Any] = {}
    if "name" in body:
        changes["name"] = body["name"]
    zone = _timezone(body, problems)
    if zone is not None:
        changes["timezone"] = zone
    if body.get("trigger_timestamp") is not None:
        changes["scheduled_at"] = _timing(body, now, problems, needed=True)
    if problems:
        raise RequestInvalid(problems)
    status = body.get("status")
    return changes, rules.TARGET[status] if status is not None else None


def attributes(body: Mapping[str, Any], workspace_id: str, request_id: str) -> dict[str, Any]:
    """What Zudu echoes that the core does not keep: the organization and who created the batch."""
    return {
        "organization_id": body.get("organization_id") or workspace_id,
        "access_info": {
            "user_id": "user_" + workspace_id.removeprefix("ws_"),
            "session_id": "session_" + request_id.removeprefix("req_"),
        },
    }


# answers -----------------------------------------------------------------------------------------
def batch(b: Batch, base_path: str) -> dict[str, Any]:
    s = b.settings
    k = b.counters
    contacts = b.contacts
    called = [c.called_at for c in contacts if c.called_at is not None]
    return {
        "batch_call_id": b.id,
        "name": s.name or None,
        "from_number": s.caller_number,
        "scheduled_timestamp": ms(s.scheduled_at),
        "total_task_count": len(contacts),
        "total": len(contacts),
        "sent": sum(1 for c in contacts if c.attempts),
        "picked_up": k.successful,
        "completed": k.completed + k.cancelled,
        "agent_id": s.agent_id or None,
        "organization_id": b.attributes.get("organization_id", b.workspace_id),
        "status": rules.STATUS[b.status],
        "timezone": s.timezone,
        "last_sent_timestamp": ms(max(called)) if called else None,
        "tasks_url": f"{base_path}/batch-call/{b.id}/tasks",
        "created_timestamp": ms(b.created_at),
        "updated_timestamp": ms(b.updated_at),
        "access_info": b.attributes.get("access_info", {"user_id": None, "session_id": None}),
    }


def task(c: BatchContact, created_at: float) -> dict[str, Any]:
    status = rules.TASK_STATUS[c.call_status]
    error = None
    if status == "failed":
        reason = c.error_reason if c.call_status == "failed" else c.call_status
        error = ERROR_MESSAGES.get(reason or "", "call failed")
    return {
        "task_id": c.contact_id,
        "to_number": c.phone_number,
        "status": status,
        "call_id": c.call_id,
        "error_message": error,
        "dynamic_variables": c.variables or {},
        "max_retries": c.max_retries or 0,
        "attempts": c.attempts,
        "outcome": c.outcome,
        "duration_seconds": c.duration_seconds,
        "next_call_timestamp": ms(c.scheduled_at) if status == "pending" else None,
        "last_called_timestamp": ms(c.called_at),
        "created_timestamp": ms(created_at),
    }


SORT_KEYS: dict[str, Callable[[Batch], Any]] = {
    "created_at": lambda b: b.created_at,
    "updated_at": lambda b: b.updated_at,
    "scheduled_timestamp": lambda b: b.settings.scheduled_at,
    "name": lambda b: b.settings.name.casefold() or None,
    "status": lambda b: rules.STATUS[b.status],
    "total_task_count": lambda b: len(b.contacts),
}


def sorted_batches(batches: list[Batch], sort_by: str, sort_order: str) -> list[Batch]:
    """Sorted by `sort_by`; batches without that value come last either way; ties stay newest first."""
    key = SORT_KEYS[sort_by]
    valued = [b for b in batches if key(b) is not None]
    missing = [b for b in batches if key(b) is None]
    return sorted(valued, key=key, reverse=sort_order == "descending") + missing
