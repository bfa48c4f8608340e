"""Everything the app factory needs, passed in; nothing is read from globals."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from mock_server import flag_values
from mock_server.fixtures import SANDBOX_KEY, ZUDU_SANDBOX_KEY, ZUDU_SANDBOX_SECRET
from mock_server.flags import Flag

_PACKAGE = Path(__file__).resolve().parent


def default_spec_path(name: str = "openapi.json") -> Path:
    """The contract: shipped inside the wheel, or at the repository root in a checkout."""
    bundled = _PACKAGE / name
    return bundled if bundled.exists() else _PACKAGE.parent / name


def default_zudu_spec_path() -> Path:
    return default_spec_path("openapi.zudu.json")


def default_control_spec_path() -> Path:
    return default_spec_path("openapi.control.json")


DIALECTS: dict[str, tuple[Literal["truedy", "zudu"], ...]] = {  # `--dialect`'s words
    "truedy": ("truedy",),
    "zudu": ("zudu",),
    "both": ("truedy", "zudu"),
}


@dataclass(frozen=True, slots=True)
class Settings:
    """What a sandbox is started with. A field's `Flag` is its `serve` flag, default and README row
    (mock_server/flags.py generates them); a field without one is internal."""

    spec_path: Annotated[Path, Flag(
        "--spec", "Truedy's contract: read once at start-up, enforced, and served as is at `/openapi.json`",
        Path, metavar="FILE")] = field(default_factory=default_spec_path)
    seed: Annotated[int, Flag(
        "--seed", "seed of ids and call outcomes: same seed + same requests = same state", int)] = 0
    clock: Annotated[Literal["real", "manual"], Flag(
        "--clock", "`real` follows the wall clock; `manual` moves only through `/_mock/clock/advance`",
    )] = "real"
    speed: Annotated[float, Flag(
        "--speed", "real-clock speed-up (`60` = an hour a minute)", flag_values.positive)] = 1.0
    start_at: Annotated[float | None, Flag(  # simulated start, POSIX seconds; None = now
        "--start-at", "simulated start time (RFC 3339)", flag_values.instant, flag_values.instant_text,
        shown="now")] = None
    # the default workspace's credentials; None: the well-known ones (sk_test_sandbox and the Zudu
    # pair of the README), except under `admin_token`, where a hosted sandbox has none anyone could
    # read in the README: keys are drawn like a created workspace's (see `default_credentials`)
    sandbox_key: Annotated[str | None, Flag(
        "--api-key", "the default workspace's key; with `--admin-token` there is no well-known default: "
        "without this flag the key is drawn like a new workspace's (the admin reads it with "
        "`GET /_mock/workspaces`; a reset of everything draws a new one)", shown=f"`{SANDBOX_KEY}`")] = None
    zudu_spec_path: Annotated[Path, Flag(
        "--zudu-spec", "Zudu's contract", Path, metavar="FILE",
    )] = field(default_factory=default_zudu_spec_path)
    control_spec_path: Path = field(default_factory=default_control_spec_path)
    zudu_key: Annotated[str | None, Flag(
        "--zudu-key", "the default workspace's Zudu `X-API-KEY`; with `--admin-token`, give both "
        "`--zudu-key` and `--zudu-secret` or neither (neither: a drawn pair, as for `--api-key`)",
        shown=f"`{ZUDU_SANDBOX_KEY}`")] = None
    zudu_secret: Annotated[str | None, Flag(
        "--zudu-secret", "the default workspace's Zudu `X-API-SECRET` (with `--admin-token`: see "
        "`--zudu-key`)", shown=f"`{ZUDU_SANDBOX_SECRET}`")] = None
    dialects: Annotated[tuple[Literal["truedy", "zudu"], ...], Flag(  # served, in this order
        "--dialect", "the API(s) to serve: `truedy` (under `/api/public/v1`), `zudu` (under "
        "`/batch-call`) or `both`", choices=DIALECTS)] = ("truedy", "zudu")
    max_body_bytes: Annotated[int, Flag(
        "--max-body-bytes", "request body limit (413 above it)", flag_values.count, metavar="N")] = 1_048_576
    latency_ms: Annotated[int, Flag(
        "--latency-ms", "simulated processing time of every API request", flag_values.count, metavar="MS",
    )] = 0
    rate_limit: Annotated[str | None, Flag(  # e.g. "100/min"; None = unlimited
        "--rate-limit", "per-workspace limit such as `100/min` (429 past it)", flag_values.rate_limit,
        shown="off")] = None
    live_edits: Annotated[bool, Flag(
        "--live-edits", "allow PATCH while scheduled or paused (the guides' behaviour; see "
        "docs/spec-notes.md)")] = False
    cost_per_minute_usd: Annotated[float, Flag(
        "--cost-per-minute", "simulated call cost, USD per billed minute", flag_values.non_negative)] = 0.12
    retry_delay_seconds: Annotated[int, Flag(
        "--retry-delay", "seconds before a failed or unanswered contact is retried", flag_values.count,
        metavar="SECONDS")] = 3600
    webhook_url: Annotated[str | None, Flag(
        "--webhook-url", "webhook receiver of the default workspace (an `http://` or `https://` URL)",
        flag_values.web_url, metavar="URL")] = None
    webhook_retry_base_seconds: float = 1.0
    # webhooks to loopback and private networks (link-local and metadata addresses never): the CLI
    # turns it on when the sandbox listens on loopback, or with --allow-private-webhooks
    allow_private_webhooks: Annotated[bool, Flag(
        "--allow-private-webhooks", "send webhooks to loopback and private networks although `--host` is "
        "not loopback (on loopback they are allowed anyway; link-local and cloud metadata addresses "
        "never)")] = False
    admin_token: Annotated[str | None, Flag(
        "--admin-token", "protect `/_mock` (send it as `X-Mock-Admin-Token`; visible ASCII, not blank)",
        flag_values.token)] = None
    # TEST-ONLY: deliberate defects (mock_server.testing.defects), switched on by create_app
    defects: Annotated[frozenset[str], Flag(
        "--defect", "TEST-ONLY: switch on a deliberate defect, to prove the contract kit finds it; "
        "repeatable (names in mock_server/testing/defects.py; zudu_… ones break Zudu's API)",
        repeatable=True, metavar="NAME", in_readme=False)] = frozenset()
    state_file: Annotated[Path | None, Flag(  # SQLite journal that survives restarts; None = in memory only
        "--state-file", "keep all state in this SQLite file: it survives `kill -9` and a restart resumes it",
        Path, metavar="FILE")] = None
    store: Annotated[str | None, Flag(  # postgresql://… : every instance on that database serves one sandbox
        "--store", "keep all state in this PostgreSQL database (`postgresql://user@host:port/db`): every "
        "process started on it serves one sandbox ([hosting a shared sandbox](#hosting-a-shared-sandbox))",
        flag_values.store_url, metavar="URL")] = None
    workers: Annotated[int, Flag(  # processes `serve` runs on one socket (with `store` only)
        "--workers", "with `--store`: run N processes on the one port (a killed one is replaced)",
        flag_values.workers, metavar="N")] = 1
    ownership: Annotated[bool, Flag(  # issue 23: each workspace served by the instance holding its lease
        "--ownership", "with `--store`: each workspace is owned by one live instance, and a request that "
        "reaches another is forwarded to it (opt-in, see docs/SCALING.md)")] = False
    advertise_url: Annotated[str | None, Flag(  # None: this process's own listening address
        "--advertise-url", "with `--ownership`: where the other instances reach this one (`--workers` "
        "gives each process a loopback address of its own)", flag_values.web_url, metavar="URL")] = None
    lease_seconds: Annotated[float, Flag(  # an owner whose heartbeat is older than this is dead
        "--lease-seconds", "with `--ownership`: an instance that has not renewed its heartbeat for this "
        "long is dead, and its workspaces go to others (0.1 to 86400)", flag_values.lease, metavar="S")] = 3.0
    idle_evict: Annotated[float, Flag(  # an owned world unused this long leaves memory (0 = never)
        "--idle-evict", "with `--ownership`: a workspace no request used for this many seconds is "
        "snapshotted and dropped from memory, its lease freed; its next request restores it (`0`: never)",
        flag_values.idle, metavar="S")] = 900.0
    snapshot_every: Annotated[int, Flag(  # state file: rows between two snapshots (a restart replays fewer)
        "--snapshot-every", "with `--state-file` or `--store`: a snapshot every N journaled requests (per "
        "workspace with `--store`)", flag_values.at_least_one, metavar="N")] = 10_000
    journal_size: Annotated[int, Flag(  # request journal entries kept per workspace (0 = no journal)
        "--journal-size", "requests kept in each workspace's journal (`GET /_mock/requests`), oldest "
        "dropped; `0`: no journal", flag_values.count, metavar="N")] = 10_000
    journal_max_bytes: Annotated[int, Flag(  # bytes a workspace's journal holds, everything counted
        "--journal-max-bytes", "bytes each workspace's journal holds (64 MiB), everything an entry holds "
        "counted, oldest dropped", flag_values.count, metavar="N")] = 64 * 1024 * 1024
    log_format: Annotated[Literal["text", "json"], Flag(  # of the access log on stderr
        "--log-format", "the access log on stderr: `text` lines or `json` lines (one object per request)",
    )] = "text"
    quiet: Annotated[bool, Flag("--quiet", "no access log")] = False
    head_timeout: Annotated[float, Flag(  # contracts/bounded_heads.py
        "--head-timeout", "seconds a client has to send a request's head, from connecting or from the "
        "previous answer, three times that for its body, and as long for each 64 KiB of answers "
        "waiting for it; past it the connection is closed (slow clients cannot hold the connections)",
        flag_values.positive, metavar="SECONDS")] = 10.0
    # who may talk to the sandbox (engine/hosts.py): the address `serve` listens on (None: an app
    # embedded in a process, reached by no network of its own: every Host is answered), and the
    # names it is reached by besides loopback's (`--allowed-host`)
    listen_host: str | None = None  # `serve --host`
    # `serve`'s access log is written by a thread of its own (a stream that does not keep up never
    # blocks a request); an app embedded in a process (tests, the pytest fixture) writes each line as
    # its request ends, where the test that made it captures it
    access_log_thread: bool = False
    allowed_hosts: Annotated[tuple[str, ...], Flag(
        "--allowed-host", "a name the sandbox is reached by (any port), besides loopback's; repeatable. "
        "Any other `Host` is `421` ([browsers and hosts](#browsers-hosts-and-bounds))",
        flag_values.host_name, repeatable=True, metavar="NAME")] = ()
    max_workspaces: Annotated[int, Flag(  # created workspaces at a time (the default one not counted)
        "--max-workspaces", "workspaces `POST /_mock/workspaces` may create, at a time (the default one "
        "not counted); past it `409 workspace_limit_reached`", flag_values.count, metavar="N")] = 1_000
    max_fault_rules: Annotated[int, Flag(  # fault rules in force per workspace
        "--max-fault-rules", "fault rules in force per workspace; past it `409 fault_rule_limit_reached`",
        flag_values.count, metavar="N")] = 100
    max_idempotency_keys: Annotated[int, Flag(  # idempotency records kept per workspace, oldest dropped
        "--max-idempotency-keys", "idempotency keys kept per workspace besides their 24 h of simulated "
        "time, oldest dropped", flag_values.count, metavar="N")] = 10_000
    max_idempotency_bytes: Annotated[int, Flag(  # and what they hold, in bytes
        "--max-idempotency-bytes", "bytes a workspace's idempotency keys may hold (their answers "
        "included), oldest dropped", flag_values.count, metavar="N")] = 16 * 1_048_576
    max_events: Annotated[int, Flag(  # event log entries kept per workspace, oldest dropped
        "--max-events", "events kept in each workspace's event log (`GET /_mock/events`), oldest dropped",
        flag_values.count, metavar="N")] = 10_000
    max_batches: Annotated[int, Flag(  # batch calls a workspace holds, both APIs' together
        "--max-batches", "batch calls each workspace holds, Truedy's and Zudu's together (a cancelled "
        "one until it is deleted); past it `409 quota_exceeded`", flag_values.count, metavar="N")] = 1_000
    max_contacts: Annotated[int, Flag(  # contact rows a workspace holds, wherever they are
        "--max-contacts", "contact rows each workspace holds: every batch call's contacts and tasks, and "
        "the contact directory's (fixtures included); past it `409 quota_exceeded`", flag_values.count,
        metavar="N")] = 50_000
    max_folders: Annotated[int, Flag(  # contact folders a workspace holds
        "--max-folders", "contact folders each workspace holds (fixtures included); past it "
        "`409 quota_exceeded`", flag_values.count, metavar="N")] = 1_000
    max_stored_bytes: Annotated[int, Flag(  # and the bytes all of those hold, as core.footprint counts
        "--max-stored-bytes", "bytes each workspace's batch calls, contacts and folders may hold (64 MiB), "
        "each counted at what it holds ([bounds](#browsers-hosts-and-bounds)); past it "
        "`409 quota_exceeded`", flag_values.count, metavar="N")] = 64 * 1_048_576

    def default_credentials(self) -> tuple[str | None, tuple[str, str] | None]:
        """The default workspace's Truedy key and Zudu pair; None: drawn like a new workspace's."""
        if self.admin_token is None:
            return self.sandbox_key or SANDBOX_KEY, (
                self.zudu_key or ZUDU_SANDBOX_KEY, self.zudu_secret or ZUDU_SANDBOX_SECRET)
        pair = None
        if self.zudu_key is not None and self.zudu_secret is not None:
            pair = (self.zudu_key, self.zudu_secret)
        return self.sandbox_key, pair
