"""Domain objects of a workspace. Times are POSIX seconds (float, UTC) everywhere in the core.

Slots keep a batch contact small: a 100k-contact campaign must fit in a few tens of MB.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

BatchStatus = Literal["draft", "scheduled", "active", "paused", "completed", "failed", "cancelled"]
ContactStatus = Literal[
    "pending", "scheduled", "in_progress", "completed", "voicemail", "no_answer", "failed", "cancelled"
]
Outcome = Literal["completed", "voicemail", "no_answer", "failed"]
ErrorReason = Literal["busy", "invalid_number", "carrier_error"]
RotationStrategy = Literal["random", "sequential", "round_robin"]

@dataclass(slots=True)
class Agent:
    id: str
    name: str
    status: Literal["active", "draft", "creating", "failed"]
    voice_ready: bool
    phone_number_ids: list[str]
    created_at: float

    @property
    def ready_for_calls(self) -> bool:
        return self.status == "active" and self.voice_ready


@dataclass(slots=True)
class PhoneNumber:
    id: str
    phone_number: str
    friendly_name: str
    agent_id: str | None
    created_at: float
    status: Literal["active", "released"] = "active"


@dataclass(slots=True)
class Folder:
    id: str
    name: str
    description: str | None
    created_at: float


@dataclass(slots=True)
class Contact:
    id: str
    phone_number: str
    first_name: str | None
    last_name: str | None
    email: str | None
    folder_id: str | None
    created_at: float


@dataclass(slots=True)
class BatchContact:
    """One contact's copy inside a batch, and the state of its calls."""

    contact_id: str
    phone_number: str
    first_name: str | None = None
    last_name: str | None = None
    call_status: ContactStatus = "pending"
    scheduled_at: float | None = None
    attempts: int = 0
    outcome: Outcome | None = None
    error_reason: ErrorReason | None = None
    call_id: str | None = None
    called_at: float | None = None
    duration_seconds: int | None = None
    cost_usd: float = 0.0
    from_number: str | None = None
    from_phone_number_id: str | None = None
    variables: dict[str, Any] | None = None  # per-contact values handed to the agent
    max_retries: int | None = None  # per-contact retry limit; None = the batch's retry settings


@dataclass(slots=True)
class BatchSettings:
    """The configurable fields of a batch (create and update bodies, after defaults)."""

    name: str
    agent_id: str
    phone_number_ids: list[str] = field(default_factory=list)
    phone_rotation_strategy: RotationStrategy = "random"
    contact_source: Literal["csv", "folder", "manual"] = "csv"
    contact_folder_id: str | None = None
    schedule_type: Literal["immediate", "scheduled"] = "immediate"
    scheduled_at: float | None = None
    timezone: str = "UTC"
    start_time: str | None = None
    end_time: str | None = None
    working_days: list[int] = field(default_factory=lambda: [1, 2, 3, 4, 5])
    max_concurrent_calls: int = 10
    max_calls_per_day: int | None = None
    retry_failed: bool = False
    max_retry_attempts: int = 0
    # an outbound number given literally (E.164) instead of directory numbers, for APIs whose
    # create body names the caller ("from_number"); None = use phone_number_ids / the agent's
    caller_number: str | None = None


@dataclass(slots=True)
class Counters:
    """Terminal outcomes so far. completed = successful + failed; failed >= voicemail + no_answer."""

    successful: int = 0
    failed: int = 0
    voicemail: int = 0
    no_answer: int = 0
    cancelled: int = 0
    calls_placed: int = 0
    total_duration_seconds: int = 0
    total_cost_usd: float = 0.0
    calls_finished: int = 0  # calls that have ended (calls_placed minus those in progress)

    @property
    def completed(self) -> int:
        return self.successful + self.failed

    @property
    def average_duration_seconds(self) -> int:
        """Mean duration of the calls that have ended (in-progress calls have none yet)."""
        return round(self.total_duration_seconds / self.calls_finished) if self.calls_finished else 0


@dataclass(slots=True)
class DayTally:
    """Calls started on one local day of the batch's zone, by the outcome of each call (attempt)."""

    calls_placed: int = 0
    successful: int = 0
    failed: int = 0  # includes voicemail and no_answer, as the batch counters do
    voicemail: int = 0
    no_answer: int = 0
    duration_seconds: int = 0
    cost_usd: float = 0.0


@dataclass(slots=True)
class Batch:
    id: str
    workspace_id: str
    settings: BatchSettings
    status: BatchStatus
    created_at: float
    updated_at: float
    contacts: list[BatchContact] = field(default_factory=list)
    counters: Counters = field(default_factory=Counters)
    by_day: dict[str, DayTally] = field(default_factory=dict)  # "YYYY-MM-DD" local → tally
    # which API created the batch: each dialect sees only its own ("" = the default dialect)
    namespace: str = ""
    # values a dialect records with the batch and renders back; the core never reads them
    attributes: dict[str, Any] = field(default_factory=dict)
    error_reason: str | None = None  # why it failed, when its simulation broke
    rows_bytes: int = 0  # what its contacts are counted for against the workspace's byte quota

    @property
    def total_contacts(self) -> int:
        return len(self.contacts)
