"""The summary printed at the end of a run: a table per suite, then each finding with its curl."""

from __future__ import annotations

from contracts.results import Outcome, Requirement, RunResult
from contracts.safe_text import one_line, printable

SUITE_ORDER = ("probe", "schema", "stateful", "rules", "proxy")
MAX_MESSAGE = 300  # characters of a finding's first line; the reports have all of it
COLUMNS = (Outcome.PASSED, Outcome.FAILED, Outcome.WARNING, Outcome.SKIPPED, Outcome.ERROR)


def summary(result: RunResult, max_listed: int = 20) -> str:
    lines = ["", f"{'suite':10}" + "".join(f"{o.value:>9}" for o in COLUMNS) + f"{'time':>9}"]
    for suite in [s for s in SUITE_ORDER if s in result.suites]:
        counts = result.counts(suite)
        took = result.suite_elapsed.get(suite, 0.0)
        lines.append(f"{suite:10}" + "".join(f"{counts[o]:>9}" for o in COLUMNS) + f"{took:>8.1f}s")
    total = result.counts()
    lines.append(f"{'total':10}" + "".join(f"{total[o]:>9}" for o in COLUMNS) + f"{result.elapsed:>8.1f}s")
    if result.coverage is not None:
        lines.append(result.coverage.line())
    if result.suite_cases:
        sent = ", ".join(f"{suite} {n}" for suite, n in sorted(result.suite_cases.items()))
        lines.append(f"test cases sent: {sum(result.suite_cases.values())} ({sent})")
    listed = [r for r in result.requirements if r.outcome in (Outcome.FAILED, Outcome.ERROR, Outcome.WARNING)]
    for requirement in listed[:max_listed]:
        lines += ["", *describe(requirement)]
    if len(listed) > max_listed:
        lines.append(
            f"\n… and {len(listed) - max_listed} more in the reports (--report, --html, --junit-xml)"
        )
    for error in result.errors:
        lines.append(f"\nKIT ERROR {one_line(error)}")
    cleanup = result.cleanup
    tail = f"; left on the target: {one_line(', '.join(cleanup.left))}" if cleanup.left else ""
    lines.append(f"\ncleanup: {cleanup.deleted} batch calls deleted{tail}")
    lines += [f"cleanup problem: {one_line(p)}" for p in cleanup.problems]
    lines += ["", result.verdict()]
    return "\n".join(lines)


def describe(requirement: Requirement) -> list[str]:
    """A requirement's lines; what a target wrote is shown escaped (`safe_text`), one line each."""
    head = f"{one_line(requirement.id)} — {one_line(requirement.title)}"
    lines = [f"{requirement.outcome.value.upper()}  {head}"]
    for evidence in requirement.evidence[:2]:
        first = one_line(evidence.message.split("\n", 1)[0])
        times = f" (×{evidence.occurrences})" if evidence.occurrences > 1 else ""
        shown = first if len(first) <= MAX_MESSAGE else first[:MAX_MESSAGE] + " … (in full in the reports)"
        lines.append(f"    {shown}{times}")
        if evidence.curl:  # never cut: a cut command reproduces something else
            lines.append(f"    reproduce: {printable(evidence.curl[-1])}")
    return lines
