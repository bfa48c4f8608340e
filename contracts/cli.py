"""`batchcalls-contract run`: check a server against the Batch Calls contract; `proxy`: check live
traffic; `diff OLD NEW`: which changes between two OpenAPI documents break clients.

The spec says which API: openapi.json (Truedy, a Bearer --api-key) or openapi.zudu.json (Zudu,
--api-key and --api-secret sent as X-API-KEY and X-API-SECRET).
Exit 0 conformant, 1 findings, 2 usage or connection problems (always one sentence, no traceback).
"""

from __future__ import annotations

import argparse
import math
import os
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from contracts import command_line
from contracts.config import SUITES, KitConfig
from contracts.curl import API_KEY_ENV, API_SECRET_ENV, OTHER_API_KEY_ENV, OTHER_API_SECRET_ENV
from contracts.errors import KitError, UsageError, internal_error
from contracts.evolution import command as diff_command
from contracts.har import HAR_FILE_MAX_BYTES
from contracts.spec import default_spec_path

# `run` and `proxy` import Schemathesis, the checks and the reports when they are the command: `diff`
# (and --help) start in half the time without them
if TYPE_CHECKING:
    from contracts.proxy import ProxyConfig

DEBUG_ENV = "BATCHCALLS_CONTRACT_DEBUG"
DEBUG_HINT = f"set {DEBUG_ENV}=1 to see the traceback"


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):  # nan and inf too: an httpx timeout cannot be either
        raise argparse.ArgumentTypeError(f"'{value}' is not a number")
    if number <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return number


def _seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a number of seconds") from None
    if not 0 <= number <= 3600:
        raise argparse.ArgumentTypeError("must be between 0 and 3600 seconds")
    return number


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="batchcalls-contract", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    command_line.add_version_flag(root)
    commands = root.add_subparsers(dest="command", required=True)
    cmd = commands.add_parser("run", help="run the contract suites against a server")
    target = cmd.add_argument_group("target")
    target.add_argument(
        "--base-url",
        required=True,
        help="the API's base URL at any path, e.g. http://127.0.0.1:8080/api/public/v1; an origin alone "
        "tries the spec's server path, then the root",
    )
    target.add_argument(
        "--api-key",
        default=os.environ.get(API_KEY_ENV),
        help=f"the workspace's API key (default: ${API_KEY_ENV}); Zudu: its X-API-KEY",
    )
    target.add_argument(
        "--api-secret",
        default=os.environ.get(API_SECRET_ENV),
        help=f"Zudu only: the workspace's X-API-SECRET (default: ${API_SECRET_ENV})",
    )
    target.add_argument(
        "--other-api-key",
        default=os.environ.get(OTHER_API_KEY_ENV),
        help="a second workspace's key, for the isolation rules (default: "
        f"${OTHER_API_KEY_ENV}; the sandbox makes one itself)",
    )
    target.add_argument(
        "--other-api-secret",
        default=os.environ.get(OTHER_API_SECRET_ENV),
        help=f"Zudu only: the second workspace's X-API-SECRET (default: ${OTHER_API_SECRET_ENV})",
    )
    target.add_argument(
        "--fixtures",
        type=Path,
        help="YAML with the target's agent and folder ids, or Zudu's from_number and agent_id "
        "(default: the sandbox's)",
    )
    target.add_argument(
        "--timeout", type=_positive_float, default=10.0, help="seconds per request (default 10)"
    )
    target.add_argument(
        "--wait",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="wait up to this long for a target that does not accept connections yet, e.g. a server "
        "started just before (default 0: fail at once)",
    )
    what = cmd.add_argument_group("what to check")
    what.add_argument(
        "--spec",
        type=Path,
        default=None,
        help="the OpenAPI document (default: openapi.json); openapi.zudu.json: a Zudu-compatible server",
    )
    what.add_argument(
        "--suite",
        action="append",
        choices=SUITES,
        dest="suites",
        help="schema, stateful or rules; repeatable (default: all three)",
    )
    what.add_argument(
        "--include-tag",
        action="append",
        default=[],
        metavar="TAG",
        help="only operations with this tag (schema/stateful suites); repeatable",
    )
    what.add_argument(
        "--include-operation",
        action="append",
        default=[],
        metavar="OPERATION_ID",
        help="only this operation (schema/stateful suites); repeatable",
    )
    what.add_argument(
        "--max-examples",
        type=_positive_int,
        default=25,
        help="generated cases per operation in the fuzzing phase (default 25)",
    )
    what.add_argument("--seed", type=int, default=None, help="seed of the generated data (default: random)")
    what.add_argument("--workers", type=_positive_int, default=1, help="concurrent workers (default 1)")
    out = cmd.add_argument_group("reports")
    out.add_argument("--junit-xml", type=Path, help="write JUnit XML here (for CI)")
    out.add_argument("--report", type=Path, help="write the Markdown conformance report here")
    out.add_argument("--html", type=Path, help="write the HTML conformance report here")
    out.add_argument("--quiet", action="store_true", help="no progress lines, only the summary")

    proxy = commands.add_parser(
        "proxy",
        help="a validation proxy: forward every request to --target unchanged, check each exchange",
        description="Forwards every request to --target unchanged (streaming, any size) and checks each "
        "exchange against the spec, the envelopes, the request id, the counters and the batches' "
        "lifecycle. GET /_contract/report answers the findings so far; the reports are written on "
        "SIGINT/SIGTERM. Exit 0: no finding, 1: findings.",
    )
    proxy.add_argument("--target", required=True, help="the server's URL, e.g. http://127.0.0.1:8080")
    proxy.add_argument("--port", type=command_line.port, default=8090,
                       help="listen port, 0-65535 (default 8090; 0: any free)")
    proxy.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    proxy.add_argument("--spec", type=Path, default=None, help="the OpenAPI document (default: openapi.json)")
    proxy.add_argument(
        "--timeout", type=_positive_float, default=60.0, help="seconds per forwarded request (default 60)"
    )
    proxy.add_argument(
        "--client-timeout",
        type=_positive_float,
        default=30.0,
        metavar="SECONDS",
        help="a client must send its whole request body, and take each part of the answer, within this "
        "time; else 408 or its connection is closed (default 30)",
    )
    proxy.add_argument("--report", type=Path, help="write the Markdown report here on exit")
    proxy.add_argument("--junit-xml", type=Path, help="write JUnit XML here on exit")
    proxy.add_argument("--html", type=Path, help="write the HTML report here on exit")
    proxy.add_argument(
        "--har", type=Path, metavar="FILE",
        help="write every exchange to this HAR 1.2 file, credentials redacted (for diff --traffic)",
    )
    proxy.add_argument(
        "--har-max-bytes", type=_positive_int, default=HAR_FILE_MAX_BYTES, metavar="BYTES",
        help="the HAR file's bound; exchanges past it are counted, not written "
        f"(default {HAR_FILE_MAX_BYTES})",
    )
    diff_command.add_parser(commands)
    return root


def proxy_config_from(args: argparse.Namespace) -> ProxyConfig:
    from contracts.proxy import ProxyConfig  # noqa: PLC0415 - see the imports

    return ProxyConfig(
        target=args.target,
        spec_path=args.spec or default_spec_path(),
        host=args.host,
        port=args.port,
        timeout=args.timeout,
        client_timeout=args.client_timeout,
        report_md=args.report,
        junit_xml=args.junit_xml,
        report_html=args.html,
        har=args.har,
        har_max_bytes=args.har_max_bytes,
    )


def config_from(args: argparse.Namespace) -> KitConfig:
    if not args.api_key:
        raise UsageError(f"give the API key with --api-key or ${API_KEY_ENV}")
    from contracts.fixtures import Fixtures, load_fixtures  # noqa: PLC0415 - see the imports

    spec = args.spec or default_spec_path()
    fixtures = load_fixtures(args.fixtures) if args.fixtures else Fixtures()
    suites = tuple(s for s in SUITES if s in (args.suites or SUITES))
    return KitConfig(
        base_url=args.base_url,
        api_key=args.api_key,
        spec_path=spec,
        suites=suites,
        include_tags=tuple(args.include_tag),
        include_operations=tuple(args.include_operation),
        max_examples=args.max_examples,
        seed=args.seed if args.seed is not None else secrets.randbelow(2**31),
        workers=args.workers,
        fixtures=fixtures,
        timeout=args.timeout,
        wait=args.wait,
        other_api_key=args.other_api_key,
        api_secret=args.api_secret,
        other_api_secret=args.other_api_secret,
        junit_xml=args.junit_xml,
        report_md=args.report,
        report_html=args.html,
        quiet=args.quiet,
    )


def _progress(line: str) -> None:
    print(line, flush=True)


def _quiet(line: str) -> None:
    pass


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "diff":
            return diff_command.run(args)
        if args.command == "proxy":
            from contracts.proxy import run_proxy  # noqa: PLC0415 - see the imports

            return run_proxy(proxy_config_from(args))
        config = config_from(args)
    except KitError as error:
        print(f"batchcalls-contract: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("batchcalls-contract: interrupted", file=sys.stderr)
        return 2
    except Exception as error:  # a bug of the kit: one sentence, the traceback on request
        if os.environ.get(DEBUG_ENV):
            raise
        print(f"batchcalls-contract: {internal_error(error, DEBUG_HINT)}", file=sys.stderr)
        return 2
    return _run(config)


def _run(config: KitConfig) -> int:
    """Run, print the summary, write the reports; the reports are written whatever happens (a run
    that could not start, or stopped on a bug of the kit, says so in them)."""
    from contracts.report import write_reports  # noqa: PLC0415 - see the imports
    from contracts.report.console import summary  # noqa: PLC0415
    from contracts.runner import run, unstarted  # noqa: PLC0415

    try:
        result = run(config, _quiet if config.quiet else _progress)
    except UsageError as error:  # the options, the spec: no run to report on
        print(f"batchcalls-contract: {error}", file=sys.stderr)
        return 2
    except KitError as error:
        print(f"batchcalls-contract: {error}", file=sys.stderr)
        result = unstarted(config, str(error))
    except KeyboardInterrupt:
        print("batchcalls-contract: interrupted", file=sys.stderr)
        result = unstarted(config, "interrupted")
    except Exception as error:  # a bug of the kit: one sentence, the traceback on request
        if os.environ.get(DEBUG_ENV):
            raise
        message = internal_error(error, DEBUG_HINT)
        print(f"batchcalls-contract: {message}", file=sys.stderr)
        result = unstarted(config, message)
    else:
        print(summary(result), flush=True)
    try:
        for path in write_reports(result, config.junit_xml, config.report_md, config.report_html):
            print(f"report: {path}")
    except KitError as error:
        print(f"batchcalls-contract: {error}", file=sys.stderr)
        return 2
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
