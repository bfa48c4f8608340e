"""Domain events the core emits (batch status changes, calls). Delivery is someone else's job."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class DomainEvent:
    type: str  # batch.status.changed | batch.completed | call.started | call.ended | call.failed
    workspace_id: str
    at: float
    data: dict[str, Any]


EventSink = Callable[[DomainEvent], None]
