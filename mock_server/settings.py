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
    # the default workspace's credentials; None: the well-known ones (sk_test_sandbox and the Zudu
    # pair of the README), except under `admin_token`, where a hosted sandbox has none anyone could
    # read in the README: keys are drawn like a created workspace's (see `default_credentials`)
    sandbox_key: str | None = None
    zudu_spec_path: Path = field(default_factory=default_zudu_spec_path)
    control_spec_path: Path = field(default_factory=default_control_spec_path)
    zudu_key: str | None = None
    zudu_secret: str | None = None
    dialects: tuple[Literal["truedy", "zudu"], ...] = ("truedy", "zudu")  # served, in this order
    max_body_bytes: int = 1_048_576
    latency_ms: int = 0
    rate_limit: str | None = None  # e.g. "100/min"; None = unlimited
    live_edits: bool = False
    cost_per_minute_usd: float = 0.12
    retry_delay_seconds: int = 3600
    webhook_url: str | None = None
    webhook_retry_base_seconds: float = 1.0
    # webhooks to loopback and private networks (link-local and metadata addresses never): the CLI
    # turns it on when the sandbox listens on loopback, or with --allow-private-webhooks
    allow_private_webhooks: bool = False
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
    # who may talk to the sandbox (engine/hosts.py): the address `serve` listens on (None: an app
    # embedded in a process, reached by no network of its own: every Host is answered), and the
    # names it is reached by besides loopback's (`--allowed-host`)
    listen_host: str | None = None
    allowed_hosts: tuple[str, ...] = ()
    max_workspaces: int = 1_000  # created workspaces at a time (the default one not counted)
    max_fault_rules: int = 100  # fault rules in force per workspace
    max_idempotency_keys: int = 10_000  # idempotency records kept per workspace, oldest dropped
    max_idempotency_bytes: int = 16 * 1_048_576  # and what they hold, in bytes
    max_events: int = 10_000  # event log entries kept per workspace, oldest dropped

    def default_credentials(self) -> tuple[str | None, tuple[str, str] | None]:
        """The default workspace's Truedy key and Zudu pair; None: drawn like a new workspace's."""
        if self.admin_token is None:
            return self.sandbox_key or SANDBOX_KEY, (
                self.zudu_key or ZUDU_SANDBOX_KEY, self.zudu_secret or ZUDU_SANDBOX_SECRET)
        pair = None
        if self.zudu_key is not None and self.zudu_secret is not None:
            pair = (self.zudu_key, self.zudu_secret)
        return self.sandbox_key, pair
