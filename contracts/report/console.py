"""The summary printed at the end of a run: a table per suite, then each finding with its curl."""

from __future__ import annotations

from contracts.results import Outcome, Requirement, RunResult

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
        lines.append(f"\nKIT ERROR {error}")
    cleanup = result.cleanup
    tail = f"; left on the target: {', '.join(cleanup.left)}" if cleanup.left else ""
    lines.append(f"\ncleanup: {cleanup.deleted} batch calls deleted{tail}")
    lines += [f"cleanup problem: {p}" for p in cleanup.problems]
    lines += ["", result.verdict()]
    return "\n".join(lines)


def describe(requirement: Requirement) -> list[str]:
    lines = [f"{requirement.outcome.value.upper()}  {requirement.id} — {requirement.title}"]
    for evidence in requirement.evidence[:2]:
        first = evidence.message.splitlines()[0] if evidence.message else ""
        times = f" (×{evidence.occurrences})" if evidence.occurrences > 1 else ""
        shown = first if len(first) <= MAX_MESSAGE else first[:MAX_MESSAGE] + " … (in full in the reports)"
        lines.append(f"    {shown}{times}")
        if evidence.curl:  # never cut: a cut command reproduces something else
            lines.append(f"    reproduce: {evidence.curl[-1]}")
    return lines
