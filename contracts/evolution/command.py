"""`batchcalls-contract diff OLD NEW`: which changes between two OpenAPI documents break clients.

Exit 0: nothing at or above `--fail-on` (and no recorded traffic broken); 1: breaking changes;
2: the documents could not be compared (one sentence on stderr).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from contracts.errors import UsageError
from contracts.evolution.compare import compare
from contracts.evolution.document import Limits, Spec
from contracts.evolution.formats import console, github, machine, markdown
from contracts.evolution.lines import LineIndex
from contracts.evolution.result import DiffResult, TrafficImpact
from contracts.evolution.rules import Level
from contracts.evolution.source import is_remote, to_uri
from contracts.evolution.traffic import replay
from contracts.evolution.validation import Judge

FORMATS = ("console", "markdown", "json", "junit", "github")
FAIL_ON = {"breaking": Level.BREAKING, "potentially-breaking": Level.POTENTIALLY_BREAKING}


def _positive(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a number") from None
    if not 0 < number <= 4096:
        raise argparse.ArgumentTypeError("must be above 0 and at most 4096")
    return number


def add_parser(commands: Any) -> None:
    """The `diff` subcommand, on the kit's subparsers."""
    cmd = commands.add_parser(
        "diff",
        help="compare two OpenAPI documents: which changes break clients (exit 1), optionally replaying "
        "recorded traffic",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmd.add_argument(
        "old", metavar="OLD", help="the OpenAPI 3.0/3.1 document clients use now: a file or an http(s) URL"
    )
    cmd.add_argument(
        "new", metavar="NEW", help="the changed document: a file or an http(s) URL (JSON or YAML)"
    )
    cmd.add_argument(
        "--format",
        choices=FORMATS,
        default="console",
        help="what to print: console (default), markdown, json, junit, github (workflow annotations)",
    )
    cmd.add_argument(
        "--fail-on",
        choices=tuple(FAIL_ON),
        default="breaking",
        help="the level that fails (exit 1): breaking (default) or potentially-breaking",
    )
    cmd.add_argument(
        "--traffic",
        action="append",
        default=[],
        type=Path,
        metavar="FILE.har",
        help="replay a HAR 1.2 file's exchanges against OLD and NEW; repeatable",
    )
    cmd.add_argument(
        "--report", type=Path, help="also write the Markdown report here (e.g. $GITHUB_STEP_SUMMARY)"
    )
    cmd.add_argument("--json", type=Path, dest="json_file", help="also write the JSON report here")
    cmd.add_argument("--junit-xml", type=Path, help="also write JUnit XML here")
    cmd.add_argument(
        "--timeout",
        type=_positive,
        default=30.0,
        metavar="SECONDS",
        help="seconds to fetch each URL, in all (default 30)",
    )
    cmd.add_argument(
        "--max-size",
        type=_positive,
        default=8.0,
        metavar="MIB",
        help="MiB one side may hold, its $ref'd files included (default 8)",
    )


def run(args: argparse.Namespace) -> int:
    limits = Limits(max_bytes=int(args.max_size * 2**20), timeout=args.timeout)
    old = Spec(to_uri(args.old), args.old, limits)
    new = Spec(to_uri(args.new), args.new, limits)
    changes = compare(old, new)
    impacts: tuple[TrafficImpact, ...] = ()
    if args.traffic:
        old_judge, new_judge = Judge(old), Judge(new)
        impacts = tuple(replay(path, old_judge, new_judge, str(path)) for path in args.traffic)
    result = DiffResult(args.old, args.new, tuple(changes), FAIL_ON[args.fail_on], impacts)
    print(render(result, args.format, new), end="", flush=True)
    for path, fmt in ((args.report, "markdown"), (args.json_file, "json"), (args.junit_xml, "junit")):
        if path is not None:
            _write(path, render(result, fmt, new))
    return result.exit_code


def render(result: DiffResult, fmt: str, new: Spec) -> str:
    if fmt == "markdown":
        return markdown.render(result)
    if fmt == "json":
        return machine.as_json(result)
    if fmt == "junit":
        return machine.as_junit(result)
    if fmt == "github":
        index = LineIndex(new.source)
        return github.render(result, None if is_remote(new.uri) else result.new, index.line)
    return console.render(result)


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
