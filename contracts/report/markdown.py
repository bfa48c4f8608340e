"""The conformance report in Markdown: verdict, summary, every failure with its curl, every requirement.

What a target wrote (messages, ids, error codes) may hold Markdown, HTML or terminal escapes. Every
text that is not the report's own wording is therefore either in a fence longer than any run of its
fence character (so nothing in it can close it) or in a code span (where nothing becomes a link, an
image, a heading or HTML), after `safe_text` has made its characters printable; a `|` in a table
cell is escaped so that it cannot split the cell.
"""

from __future__ import annotations

import re

from contracts.report import coverage as coverage_section
from contracts.report.console import COLUMNS, SUITE_ORDER
from contracts.results import REPORT_SECTIONS, Coverage, Outcome, Requirement, RunResult
from contracts.safe_text import one_line, printable

ICONS = {
    Outcome.PASSED: "✅",
    Outcome.FAILED: "❌",
    Outcome.WARNING: "⚠️",
    Outcome.SKIPPED: "⏭️",
    Outcome.ERROR: "💥",
}


def _longest_run(text: str, char: str) -> int:
    return max((len(run) for run in re.findall(f"{re.escape(char)}+", text)), default=0)


def code(text: str) -> str:
    """`text` on one line as a code span whose backtick run no backtick run inside it can match."""
    shown = one_line(text)
    ticks = "`" * (_longest_run(shown, "`") + 1)
    pad = " " if shown[:1] in ("`", " ", "") or shown[-1:] in ("`", " ") else ""  # CommonMark strips one
    return f"{ticks}{pad}{shown}{pad}{ticks}"


def _cell(text: str) -> str:
    return code(text).replace("|", "\\|")


def fence(text: str, char: str = "~", info: str = "") -> str:
    """A fenced block that no line of `text` can close (its fence is longer than any run inside)."""
    shown = printable(text)
    marks = char * max(3, _longest_run(shown, char) + 1)
    return f"{marks}{info}\n{shown}\n{marks}"


def _detail(requirement: Requirement) -> list[str]:
    lines = [f"### {ICONS[requirement.outcome]} {code(requirement.id)}", "", code(requirement.title), ""]
    if requirement.note:
        lines += [f"*Expected:* {code(requirement.note)}", ""]
    for evidence in requirement.evidence:
        lines += [fence(evidence.message), ""]
        if evidence.occurrences > 1:  # not after the closing fence: it would no longer close
            lines += [f"(seen {evidence.occurrences} times)", ""]
        if evidence.curl:
            lines += ["Reproduce:", "", fence("\n".join(evidence.curl), "`", "sh"), ""]
    return lines


def _coverage(coverage: Coverage) -> list[str]:
    headers = coverage_section.HEADERS
    lines = ["## Coverage", "", f"{coverage.line()}.", ""]
    lines += ["| " + " | ".join(headers) + " |", "|---" * len(headers) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in coverage_section.rows(coverage)]
    return [*lines, ""]


def render(result: RunResult) -> str:
    lines = [
        "# Batch Calls API conformance report",
        "",
        f"- Target: {code(result.base_url)}",
        f"- Run: {code(result.run_id)}, seed {result.seed}, suites: {', '.join(result.suites)}",
        f"- Duration: {result.elapsed:.1f} s",
        "",
        f"**{result.verdict()}**",
        "",
        "Reproductions read the key from `$BATCHCALLS_API_KEY` (and `$BATCHCALLS_OTHER_API_KEY`).",
        "",
        "| suite | " + " | ".join(o.value for o in COLUMNS) + " |",
        "|---|" + "---:|" * len(COLUMNS),
    ]
    for suite in [s for s in SUITE_ORDER if s in result.suites]:
        counts = result.counts(suite)
        lines.append(f"| {suite} | " + " | ".join(str(counts[o]) for o in COLUMNS) + " |")
    lines.append("")
    if result.coverage is not None:
        lines += _coverage(result.coverage)
    if result.errors:
        lines += ["## Kit errors (the run is incomplete)", "", *[f"- {code(e)}" for e in result.errors], ""]
    for outcome, heading in REPORT_SECTIONS:
        chosen = result.with_outcome(outcome)
        if chosen:
            lines += [f"## {heading}", ""]
            for requirement in chosen:
                lines += _detail(requirement)
    lines += ["## Every requirement", "", "| result | requirement | checked | notes |", "|---|---|---:|---|"]
    for requirement in result.requirements:
        note = requirement.note if requirement.outcome == Outcome.SKIPPED else requirement.title
        lines.append(
            f"| {ICONS[requirement.outcome]} {requirement.outcome.value} | {_cell(requirement.id)} | "
            f"{requirement.checked} | {_cell(note)} |"
        )
    cleanup = result.cleanup
    lines += ["", "## Cleanup", "", f"- {cleanup.deleted} batch calls deleted"]
    lines += [f"- left on the target: {code(item)}" for item in cleanup.left]
    lines += [f"- problem: {code(p)}" for p in cleanup.problems]
    return "\n".join(lines) + "\n"
