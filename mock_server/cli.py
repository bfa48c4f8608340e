"""`batchcalls-mock serve`: start the sandbox and say how to reach it."""

from __future__ import annotations

import argparse
import gc
import math
import re
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Literal, NoReturn
from urllib.parse import urlsplit

from mock_server import __version__, hosting_flags, readiness_command
from mock_server.core.timefmt import EARLIEST, LATEST
from mock_server.engine.header_limits import H11_MAX_INCOMPLETE_EVENT_SIZE
from mock_server.engine.hosts import is_loopback
from mock_server.engine.ratelimit import Limit
from mock_server.fixtures import fixture_ids
from mock_server.mcp_server import command as mcp_command
from mock_server.settings import Settings, default_spec_path, default_zudu_spec_path

DIALECTS: dict[str, tuple[Literal["truedy", "zudu"], ...]] = {
    "truedy": ("truedy",),
    "zudu": ("zudu",),
    "both": ("truedy", "zudu"),
}


def _start_at(value: str) -> float:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise argparse.ArgumentTypeError("give a UTC offset, e.g. 2026-03-02T08:00:00Z")
    if not EARLIEST <= parsed.timestamp() < LATEST:
        raise argparse.ArgumentTypeError("a start from 1970-01-01 up to (not including) 9999-01-01")
    return parsed.timestamp()


def _rate_limit(value: str) -> str:
    try:
        Limit.parse(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def _positive(value: str) -> float:
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise argparse.ArgumentTypeError(f"'{value}' is not a positive number")
    return number


def _version() -> str:
    """The installed distribution's version (pyproject.toml), the package's own when run uninstalled."""
    try:
        return metadata.version("batchcalls-sandbox")
    except metadata.PackageNotFoundError:
        return __version__


def _non_negative(value: str) -> float:
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise argparse.ArgumentTypeError(f"'{value}' is not a number of 0 or more")
    return number


_count = hosting_flags.count


def _store_url(value: str) -> str:
    try:
        well_formed = value.startswith(("postgresql://", "postgres://")) and urlsplit(value).port != -1
    except ValueError:  # a port that is not a number, an unclosed [IPv6 address]
        well_formed = False
    if not well_formed:
        shown = re.sub(r"(//[^/@:]*:)[^/@]*@", r"\1…@", value)  # never a password on the screen
        raise argparse.ArgumentTypeError(
            f"'{shown}' is not a PostgreSQL URL (postgresql://user@host:port/database)"
        )
    return value


def _workers(value: str) -> int:
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= 64:
        raise argparse.ArgumentTypeError(f"'{value}' is not a number of processes from 1 to 64")
    return int(value)


def _at_least_one(value: str) -> int:
    if not value.isascii() or not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"'{value}' is not a whole number of 1 or more")
    return int(value)


def _port(value: str) -> int:
    if not value.isascii() or not value.isdigit() or int(value) > 65535:
        raise argparse.ArgumentTypeError(f"'{value}' is not a port number (0 to 65535)")
    return int(value)


def _url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"'{value}' is not an http:// or https:// URL")
    return value


def _token(value: str) -> str:
    # a header carries visible ASCII only: any other token could never be sent
    if not value.strip() or not value.isascii() or not value.isprintable() or value != value.strip():
        raise argparse.ArgumentTypeError("the token must be visible ASCII characters, not blank")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad flag is one sentence on stderr (no usage block), and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}\n")


LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def parser() -> argparse.ArgumentParser:
    defaults = Settings()
    root = _Parser(prog="batchcalls-mock", description=__doc__)
    root.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = root.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="start the sandbox")
    serve.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8080, help="listen port (default 8080; 0 = any)")
    serve.add_argument("--seed", type=int, default=0, help="seed of ids and call outcomes")
    serve.add_argument(
        "--clock",
        choices=["real", "manual"],
        default="real",
        help="real: follows the wall clock; manual: moves only by POST /_mock/clock/advance",
    )
    serve.add_argument(
        "--speed", type=_positive, default=1.0, help="real clock speed-up (60 = an hour a minute)"
    )
    serve.add_argument(
        "--start-at", type=_start_at, default=None, help="simulated start time, RFC 3339 (default: now)"
    )
    serve.add_argument("--spec", type=Path, default=default_spec_path(), help="the OpenAPI document")
    serve.add_argument(
        "--api-key",
        default=None,
        help="the default workspace's key (default sk_test_sandbox; with --admin-token, none anyone "
        "could read in the README: the admin finds it with GET /_mock/workspaces)",
    )
    serve.add_argument(
        "--dialect",
        choices=["truedy", "zudu", "both"],
        default="both",
        help="the API(s) to serve: Truedy's under /api/public/v1, Zudu's under /batch-call (default both)",
    )
    serve.add_argument(
        "--zudu-spec", type=Path, default=default_zudu_spec_path(), help="Zudu's OpenAPI document"
    )
    serve.add_argument(
        "--zudu-key", default=None, help="the default workspace's Zudu X-API-KEY (default zk_test_sandbox; "
        "with --admin-token, none well-known: give both --zudu-key and --zudu-secret)"
    )
    serve.add_argument(
        "--zudu-secret", default=None, help="the default workspace's Zudu X-API-SECRET (default "
        "zs_test_sandbox)"
    )
    serve.add_argument(
        "--live-edits",
        action="store_true",
        help="allow PATCH while scheduled or paused (the guides' behaviour)",
    )
    serve.add_argument("--max-body-bytes", type=_count, default=defaults.max_body_bytes)
    serve.add_argument(
        "--latency-ms", type=_count, default=0, help="simulated processing time of every API request"
    )
    serve.add_argument(
        "--rate-limit",
        type=_rate_limit,
        default=None,
        help="per-workspace limit such as 100/min (Truedy's published limit); off by default",
    )
    serve.add_argument("--cost-per-minute", type=_non_negative, default=defaults.cost_per_minute_usd)
    serve.add_argument(
        "--retry-delay",
        type=_count,
        default=defaults.retry_delay_seconds,
        help="seconds before a failed contact is retried",
    )
    serve.add_argument(
        "--webhook-url", type=_url, default=None, help="webhook receiver of the sandbox workspace"
    )
    serve.add_argument(
        "--allow-private-webhooks",
        action="store_true",
        help="send webhooks to loopback and private networks even when not listening on loopback "
        "(link-local and cloud metadata addresses never)",
    )
    serve.add_argument(
        "--admin-token",
        type=_token,
        default=None,
        help="protect /_mock with this token (required off loopback)",
    )
    hosting_flags.add_arguments(serve, defaults)
    serve.add_argument(
        "--state-file",
        type=Path,
        default=None,
        help="keep all state in this SQLite file: it survives kill -9 and a restart resumes it",
    )
    serve.add_argument(
        "--store",
        type=_store_url,
        default=None,
        metavar="URL",
        help="keep all state in this PostgreSQL database (postgresql://user@host:port/db): every "
        "process started on it serves the same sandbox (see docs/SCALING.md)",
    )
    serve.add_argument(
        "--snapshot-every",
        type=_at_least_one,
        default=defaults.snapshot_every,
        metavar="N",
        help="with --state-file or --store: a snapshot every N journaled requests (of each workspace, "
        f"with --store), so a restart or a catch-up replays fewer (default {defaults.snapshot_every})",
    )
    serve.add_argument(
        "--workers",
        type=_workers,
        default=1,
        metavar="N",
        help="run N processes on the one port (with --store; default 1)",
    )
    serve.add_argument(
        "--log-level",
        default="warning",
        choices=LOG_LEVELS,
        help="uvicorn's own messages (default warning); the access log is written at every level",
    )
    serve.add_argument(
        "--log-format",
        choices=["text", "json"],
        default="text",
        help="the access log on stderr: one text line or one JSON object per request (default text)",
    )
    serve.add_argument("--quiet", action="store_true", help="no access log")
    serve.add_argument(
        "--journal-size",
        type=_count,
        default=defaults.journal_size,
        metavar="N",
        help="requests kept in each workspace's journal (GET /_mock/requests), oldest dropped; "
        f"0 = no journal (default {defaults.journal_size})",
    )
    serve.add_argument("--journal-max-bytes", type=_count, default=defaults.journal_max_bytes, metavar="N",
                       help="bytes each workspace's journal holds, everything counted, oldest dropped "
                       f"(default {defaults.journal_max_bytes})")
    serve.add_argument(
        "--defect",
        action="append",
        default=[],
        metavar="NAME",
        help="TEST-ONLY: switch on a deliberate defect, to prove the contract kit finds it; repeatable "
        "(names in mock_server/testing/defects.py; zudu_… ones break Zudu's API)",
    )
    readiness = commands.add_parser("readiness", help="print a workspace's client readiness report")
    readiness_command.add_arguments(readiness)
    mcp = commands.add_parser(
        "mcp",
        help="an MCP server on stdio for a coding assistant: a sandbox of its own (every serve flag "
        "applies), or --url to attach to a running one",
        description=mcp_command.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    mcp_command.add_arguments(mcp)
    return root


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings(
        spec_path=args.spec,
        seed=args.seed,
        clock=args.clock,
        speed=args.speed,
        start_at=args.start_at,
        sandbox_key=args.api_key,
        zudu_spec_path=args.zudu_spec,
        zudu_key=args.zudu_key,
        zudu_secret=args.zudu_secret,
        dialects=DIALECTS[args.dialect],
        max_body_bytes=args.max_body_bytes,
        latency_ms=args.latency_ms,
        rate_limit=args.rate_limit,
        live_edits=args.live_edits,
        cost_per_minute_usd=args.cost_per_minute,
        retry_delay_seconds=args.retry_delay,
        webhook_url=args.webhook_url,
        allow_private_webhooks=args.allow_private_webhooks or is_loopback(args.host),
        admin_token=args.admin_token,
        defects=frozenset(args.defect),
        state_file=args.state_file,
        store=args.store,
        snapshot_every=args.snapshot_every,
        workers=args.workers,
        journal_size=args.journal_size,
        journal_max_bytes=args.journal_max_bytes,
        log_format=args.log_format,
        quiet=args.quiet,
        **hosting_flags.settings_of(args),
    )


def banner(base_url: str, settings: Settings, wall_now: float) -> str:
    """What `serve` prints once it listens; `wall_now` is the moment a clock with no --start-at starts at."""
    ids = fixture_ids()
    lines = [f"Batch Calls sandbox listening on {base_url}"]
    lines += hosting_flags.credential_lines(base_url, settings)
    lines += [
        *clock_lines(settings, wall_now),
        f"  seed         : {settings.seed}",
        "  fixtures     : " + ", ".join([*ids["agents"].values(), *ids["folders"].values()]),
        f"  control API  : {base_url}/_mock/health, /_mock/reset, /_mock/workspaces, /_mock/clock",
        f"  console      : {base_url}/_mock/console   API reference: {base_url}/docs",
    ]
    return "\n".join(lines)


def clock_lines(settings: Settings, wall_now: float) -> list[str]:
    """The clock and where it starts; on a weekend, why a new campaign places no call until Monday."""
    mode = f"real x{settings.speed:g}" if settings.clock == "real" else "manual"
    if settings.state_file is not None or settings.store is not None:
        return [f"  clock        : {mode}, each workspace's where its state left it"]
    start = datetime.fromtimestamp(settings.start_at if settings.start_at is not None else wall_now, UTC)
    lines = [f"  clock        : {mode}, starting {start:%a %Y-%m-%d %H:%M} UTC"]
    if start.isoweekday() in (6, 7):
        lines += [
            "                 a weekend: campaigns call on their working_days (Mon-Fri unless set), so",
            "                 a new one waits for Monday; GET /_mock/clock's next_event_at says when",
        ]
    return lines


def tune_garbage_collector() -> None:
    """The sandbox keeps every batch and contact in memory: with the default thresholds, full
    collections over that growing heap stall requests (POST p99 95 ms → 18 ms with these, measured
    with benchmarks/http.py). Start-up objects are frozen out of collections altogether."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def main(argv: Sequence[str] | None = None) -> int:
    args, rest = parser().parse_known_args(argv)
    if args.command == "mcp":  # the rest are serve's flags, or credentials with --url
        return mcp_command.run(args, rest)
    if rest:
        parser().error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "readiness":
        return readiness_command.run(args)
    refused = hosting_flags.refusal(args)
    if refused is not None:
        print(refused, file=sys.stderr)
        return 2
    if args.dialect != "truedy" and not args.zudu_spec.exists():
        print(f"no OpenAPI document at {args.zudu_spec}", file=sys.stderr)
        return 2
    if not args.spec.exists():
        print(f"no OpenAPI document at {args.spec}", file=sys.stderr)
        return 2
    if args.store is not None and args.state_file is not None:
        print("use either --state-file or --store, not both", file=sys.stderr)
        return 2
    if args.workers > 1 and args.store is None:
        print("--workers needs --store: separate processes share state only through PostgreSQL",
              file=sys.stderr)
        return 2
    import socket

    import uvicorn

    from mock_server.app import create_app

    settings = settings_from(args)
    if settings.webhook_url is not None:
        from mock_server.webhooks import ReceiverPolicy, ReceiverRefused

        try:
            ReceiverPolicy(settings.allow_private_webhooks).target(settings.webhook_url)
        except ReceiverRefused as exc:
            print(f"--webhook-url: {exc}", file=sys.stderr)
            return 2
    try:
        hook = None
        if settings.defects:  # test-only code, loaded only when a defect is named
            from mock_server.testing.defects import defect_hook

            hook = defect_hook(settings.defects)
        app = create_app(settings, dialect_hook=hook)
    except ValueError as exc:  # StateFileMismatch, StoreUnusable, an unknown defect name: one sentence
        print(exc, file=sys.stderr)
        return 2
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    print(banner(f"http://{shown}:{port}", settings, time.time()), flush=True)
    # No X-Forwarded-* rewriting: the sandbox never reads the client's address or scheme, and the
    # header scan cost every request a few microseconds. `--server-header` off: one header less.
    # h11 (without httptools) would answer a 400 of its own past 16 KiB: let the sandbox's 431 answer
    config = uvicorn.Config(
        app, log_level=args.log_level, access_log=False, proxy_headers=False, server_header=False,
        h11_max_incomplete_event_size=H11_MAX_INCOMPLETE_EVENT_SIZE,
    )
    tune_garbage_collector()
    if settings.workers > 1:
        from mock_server import workers

        return workers.run(settings.workers, lambda: uvicorn.Server(config).run(sockets=[sock]))
    uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
