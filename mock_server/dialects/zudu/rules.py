"""Zudu's rules as a dialect of the shared core: its lifecycle table, and how its statuses map to
the core's. Zudu has no pause and no cancel: `paused` and `cancelled` cannot be reached through it."""

from __future__ import annotations

from mock_server.core.batch_rules import Lifecycle
from mock_server.core.models import BatchStatus

NAMESPACE = "zudu"  # Zudu's batches are its own: Truedy's API does not see them, nor they Truedy's

LIFECYCLE = Lifecycle(
    allowed_from={
        "update": ("draft", "scheduled", "active", "paused"),  # completed or failed are immutable
        "reschedule": ("draft", "scheduled"),  # a new trigger_timestamp
        "execute": ("draft", "scheduled"),  # POST …/execute, or status "sent"
        "schedule": ("draft",),  # status "scheduled"
        "unschedule": ("scheduled",),  # status "draft"
    },
    removable=("draft", "completed"),
    cancellable=(),
    start_failure="fail",  # the provider fault leaves the batch failed (Zudu's `failed` status)
    refused_with=400,  # Zudu's pages: a refused status change is a 400 "Validation error"
)

# core status -> Zudu status
STATUS: dict[str, str] = {
    "draft": "draft",
    "scheduled": "scheduled",
    "active": "sent",
    "paused": "sent",  # unreachable through Zudu
    "completed": "completed",
    "failed": "failed",
    "cancelled": "failed",  # unreachable through Zudu
}
# Zudu status -> the core statuses it stands for
CORE_STATUSES: dict[str, tuple[BatchStatus, ...]] = {
    "draft": ("draft",),
    "scheduled": ("scheduled",),
    "sent": ("active", "paused"),
    "completed": ("completed",),
    "failed": ("failed", "cancelled"),
}
# the status a create or PATCH asks for -> the core status it leads to
TARGET: dict[str, BatchStatus] = {"draft": "draft", "scheduled": "scheduled", "sent": "active"}

# core contact status -> Zudu task status
TASK_STATUS: dict[str, str] = {
    "pending": "pending",
    "scheduled": "pending",  # planned, or waiting for a retry
    "in_progress": "calling",
    "completed": "completed",
    "voicemail": "failed",
    "no_answer": "failed",
    "failed": "failed",
    "cancelled": "failed",
}

# Zudu documents no concurrency or calling window: every task may be dialled at any hour, any day,
# ten at a time per batch
MAX_CONCURRENT_CALLS = 10
EVERY_DAY = [1, 2, 3, 4, 5, 6, 7]
MAX_DYNAMIC_VARIABLES_BYTES = 5 * 1024  # Zudu's create page: "max 5KB per task"
