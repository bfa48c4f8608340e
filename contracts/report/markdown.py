"""The conformance report in Markdown: verdict, summary, every failure with its curl, every requirement."""

from __future__ import annotations

from contracts.report.console import COLUMNS, SUITE_ORDER
from contracts.results import REPORT_SECTIONS, Outcome, Requirement, RunResult

ICONS = {
    Outcome.PASSED: "✅",
    Outcome.FAILED: "❌",
    Outcome.WARNING: "⚠️",
    Outcome.SKIPPED: "⏭️",
    Outcome.ERROR: "💥",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _fence(text: str) -> str:
    return "~~~\n" + text.replace("~~~", "~ ~ ~") + "\n~~~"


def _detail(requirement: Requirement) -> list[str]:
    lines = [f"### {ICONS[requirement.outcome]} `{requirement.id}`", "", requirement.title, ""]
    if requirement.note:
        lines += [f"*Expected:* {requirement.note}", ""]
    for evidence in requirement.evidence:
        times = f" (seen {evidence.occurrences} times)" if evidence.occurrences > 1 else ""
        lines += [_fence(evidence.message) + times, ""]
        if evidence.curl:
            lines += ["Reproduce:", "", "```sh", *evidence.curl, "```", ""]
    return lines


def render(result: RunResult) -> str:
    lines = [
        "# Batch Calls API conformance report",
        "",
        f"- Target: `{result.base_url}`",
        f"- Run: `{result.run_id}`, seed {result.seed}, suites: {', '.join(result.suites)}",
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
    if result.errors:
        lines += ["## Kit errors (the run is incomplete)", "", *[f"- {_cell(e)}" for e in result.errors], ""]
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
            f"| {ICONS[requirement.outcome]} {requirement.outcome.value} | `{requirement.id}` | "
            f"{requirement.checked} | {_cell(note)} |"
        )
    cleanup = result.cleanup
    lines += ["", "## Cleanup", "", f"- {cleanup.deleted} batch calls deleted"]
    lines += [f"- left on the target: {item}" for item in cleanup.left]
    lines += [f"- problem: {_cell(p)}" for p in cleanup.problems]
    return "\n".join(lines) + "\n"
