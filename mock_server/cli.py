"""`batchcalls-mock serve`: start the sandbox and say how to reach it."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Literal, NoReturn

from contracts import command_line
from contracts.bounded_heads import bounded_heads
from mock_server import flags, heap, hosting_flags, impact_command, readiness_command
from mock_server.engine.hosts import is_loopback
from mock_server.fixtures import fixture_ids
from mock_server.flags import Flag
from mock_server.mcp_server import command as mcp_command
from mock_server.settings import Settings

if TYPE_CHECKING:
    import socket

    import uvicorn

LogLevel = Literal["critical", "error", "warning", "info", "debug", "trace"]  # uvicorn's


@dataclass(frozen=True, slots=True)
class Listener:
    """`serve`'s own flags: where it listens and what uvicorn logs (the app is told the host only)."""

    host: Annotated[str, Flag(
        "--host", "listen address; anything but loopback requires `--admin-token` (see "
        "[hosting](#hosting-a-shared-sandbox))")] = "127.0.0.1"
    port: Annotated[int, Flag(
        "--port", "listen port, 0–65535 (`0`: any free port; the banner says which)", command_line.port,
    )] = 8080
    log_level: Annotated[LogLevel, Flag(
        "--log-level", "uvicorn's log level (`critical`, `error`, `warning`, `info`, `debug`, `trace`); "
        "the access log is written at every level")] = "warning"


SERVE_FLAGS = (Listener, Settings)  # in the order of `serve --help` and the README's table


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad flag is one sentence on stderr (no usage block), and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}\n")


def parser() -> argparse.ArgumentParser:
    root = _Parser(prog="batchcalls-mock", description=__doc__)
    command_line.add_version_flag(root)
    commands = root.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="start the sandbox")
    for flagged in SERVE_FLAGS:
        flags.add_flags(serve, flagged)
    readiness = commands.add_parser("readiness", help="print a workspace's client readiness report")
    readiness_command.add_arguments(readiness)
    impact = commands.add_parser(
        "impact",
        help="which requests in every workspace's journal a changed document would break (admin)",
        description=impact_command.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    impact_command.add_arguments(impact)
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
    """The Settings of `serve`'s parsed flags; the app is told where it listens (`--host`), and may
    send webhooks to private networks when that is loopback."""
    given = flags.values(Settings, args)
    given["allow_private_webhooks"] = given["allow_private_webhooks"] or is_loopback(args.host)
    return Settings(**given, listen_host=args.host, access_log_thread=True)


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
    """The sandbox keeps every batch and contact in memory: with the default thresholds, collections
    over that growing heap stall requests. `mock_server.heap` freezes the start-up heap and what
    survives each young collection (measured with benchmarks/http.py --growth)."""
    heap.install()


def _refusal(settings: Settings) -> str | None:
    """Why `serve` cannot start with these settings, in one sentence; None when it can."""
    if "zudu" in settings.dialects and not settings.zudu_spec_path.exists():
        return f"no OpenAPI document at {settings.zudu_spec_path}"
    if not settings.spec_path.exists():
        return f"no OpenAPI document at {settings.spec_path}"
    if settings.store is not None and settings.state_file is not None:
        return "use either --state-file or --store, not both"
    if settings.workers > 1 and settings.store is None:
        return "--workers needs --store: separate processes share state only through PostgreSQL"
    if settings.ownership and settings.store is None:
        return "--ownership needs --store: workspaces are owned through PostgreSQL"
    if settings.advertise_url is not None and settings.workers > 1:
        return "--advertise-url names one process: with --workers each advertises a loopback port of its own"
    if settings.webhook_url is not None:
        from mock_server.webhooks import ReceiverPolicy, ReceiverRefused

        try:
            ReceiverPolicy(settings.allow_private_webhooks).target(settings.webhook_url)
        except ReceiverRefused as exc:
            return f"--webhook-url: {exc}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args, rest = parser().parse_known_args(argv)
    if args.command == "mcp":  # the rest are serve's flags, or credentials with --url
        return mcp_command.run(args, rest)
    if rest:
        parser().error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "readiness":
        return readiness_command.run(args)
    if args.command == "impact":
        return impact_command.run(args)
    settings, listener = settings_from(args), Listener(**flags.values(Listener, args))
    refused = hosting_flags.refusal(settings) or _refusal(settings)
    if refused is not None:
        print(refused, file=sys.stderr)
        return 2
    import socket

    import uvicorn

    from mock_server.app import create_app

    try:
        app = create_app(settings)
    except ValueError as exc:  # StateFileMismatch, StoreUnusable, an unknown defect name: one sentence
        print(exc, file=sys.stderr)
        return 2
    try:
        sock = command_line.bound_socket(listener.host, listener.port)
    except OSError as exc:
        print(f"cannot listen on {listener.host}:{listener.port}: {exc.strerror}", file=sys.stderr)
        return 2
    command_line.listen(sock)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if sock.family == socket.AF_INET6 else host
    print(banner(f"http://{shown}:{port}", settings, time.time()), flush=True)
    # No X-Forwarded-* rewriting: the sandbox never reads the client's address or scheme, and the
    # header scan cost every request a few microseconds. `--server-header` off: one header less.
    # Request heads bounded in time and bytes (httptools bounds neither): contracts/bounded_heads.py
    config = uvicorn.Config(
        app, log_level=listener.log_level, access_log=False, proxy_headers=False, server_header=False,
        http=bounded_heads(settings.head_timeout, body_seconds=3 * settings.head_timeout,
                           answer_seconds=3 * settings.head_timeout),
    )
    tune_garbage_collector()
    from mock_server.cluster.advertised import advertise, worker_sockets

    registry = app.state.node.registry if app.state.node is not None else None
    if settings.workers > 1:
        from mock_server import workers

        return workers.run(settings.workers, lambda: run_server(config, worker_sockets(registry, sock)))
    advertise(registry, sock)
    try:
        run_server(config, [sock])
    except KeyboardInterrupt:  # uvicorn raises Ctrl-C again once it has stopped: no traceback
        return 130
    return 0


def run_server(config: uvicorn.Config, sockets: list[socket.socket]) -> None:
    """uvicorn's server on `sockets`: the heap policy counts the requests it answers, to tell a
    quiet moment for a full collection (`mock_server/heap.py`)."""
    from mock_server.server import Server, before_shutdown_of

    server = Server(config, before_shutdown_of(config.app))
    heap.POLICY.requests = lambda: server.server_state.total_requests
    server.run(sockets=sockets)


if __name__ == "__main__":
    sys.exit(main())
