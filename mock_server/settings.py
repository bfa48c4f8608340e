"""Everything the app factory needs, passed in; nothing is read from globals."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from mock_server.fixtures import SANDBOX_KEY, ZUDU_SANDBOX_KEY, ZUDU_SANDBOX_SECRET

_PACKAGE = Path(__file__).resolve().parent


def default_spec_path(name: str = "openapi.json") -> Path:
    """The contract: shipped inside the wheel, or at the repository root in a checkout."""
    bundled = _PACKAGE / name
    return bundled if bundled.exists() else _PACKAGE.parent / name


def default_zudu_spec_path() -> Path:
    return default_spec_path("openapi.zudu.json")


def default_control_spec_path() -> Path:
    return default_spec_path("openapi.control.json")


@dataclass(frozen=True, slots=True)
class Settings:
    spec_path: Path = field(default_factory=default_spec_path)
    seed: int = 0
    clock: Literal["real", "manual"] = "real"
    speed: float = 1.0
    start_at: float | None = None  # simulated start, POSIX seconds; None = now
    sandbox_key: str = SANDBOX_KEY
    zudu_spec_path: Path = field(default_factory=default_zudu_spec_path)
    control_spec_path: Path = field(default_factory=default_control_spec_path)
    zudu_key: str = ZUDU_SANDBOX_KEY
    zudu_secret: str = ZUDU_SANDBOX_SECRET
    dialects: tuple[Literal["truedy", "zudu"], ...] = ("truedy", "zudu")  # served, in this order
    max_body_bytes: int = 1_048_576
    latency_ms: int = 0
    rate_limit: str | None = None  # e.g. "100/min"; None = unlimited
    live_edits: bool = False
    cost_per_minute_usd: float = 0.12
    retry_delay_seconds: int = 3600
    webhook_url: str | None = None
    webhook_retry_base_seconds: float = 1.0
    admin_token: str | None = None
    defects: frozenset[str] = frozenset()  # TEST-ONLY: deliberate defects (mock_server.testing.defects)
    state_file: Path | None = None  # SQLite journal that survives restarts; None = in memory only
    store: str | None = None  # postgresql://… : every instance on that database serves one sandbox
    workers: int = 1  # processes `serve` runs on one socket (with `store` only)
    snapshot_every: int = 10_000  # state file: rows between two snapshots (a restart replays fewer)
    journal_size: int = 10_000  # request journal entries kept per workspace (0 = no journal)
    journal_max_bytes: int = 64 * 1024 * 1024  # bytes a workspace's journal holds, everything counted
    log_format: Literal["text", "json"] = "text"  # of the access log on stderr
    quiet: bool = False  # no access log
