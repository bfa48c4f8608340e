"""The console output: the summary, then each change under its level, then the traffic."""

from __future__ import annotations

from contracts.evolution.result import DiffResult
from contracts.evolution.rules import Level


def render(result: DiffResult) -> str:
    lines = [result.summary()]
    for level in sorted(Level, reverse=True):
        changes = [c for c in result.changes if c.level == level]
        if not changes:
            continue
        lines += ["", f"{level.words.upper()} ({len(changes)})"]
        operation = None
        for change in changes:
            if change.operation != operation:
                operation = change.operation
                lines.append(f"  {operation}")
            lines.append(f"    {change.rule}: {change.message}")
            lines.append(f"      OLD {change.old or '-'}   NEW {change.new or '-'}")
    if result.traffic:
        lines += ["", "TRAFFIC"]
        lines += [f"  {impact.headline()}" for impact in result.traffic]
    gate = "breaking" if result.fail_on == Level.BREAKING else "potentially breaking or worse"
    status = "fails" if result.exit_code else "passes"
    lines += ["", f"{status} the gate (--fail-on {result.fail_on.label}: {gate}): exit {result.exit_code}"]
    return "\n".join(lines) + "\n"
