"""A Markdown report (a pull request comment, $GITHUB_STEP_SUMMARY)."""

from __future__ import annotations

from contracts.evolution.result import DiffResult
from contracts.evolution.rules import Level


def _cell(text: str | None) -> str:
    if not text:
        return "–"
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str | None) -> str:
    return f"`{_cell(text)}`" if text else "–"


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def render(result: DiffResult) -> str:
    out = [
        f"# API changes: `{result.old}` → `{result.new}`",
        "",
        f"**Verdict: {result.verdict}** (exit {result.exit_code}, `--fail-on {result.fail_on.label}`)",
        "",
        "| Level | Changes |",
        "|---|---:|",
    ]
    out += [f"| {level.words} | {result.count(level)} |" for level in sorted(Level, reverse=True)]
    for level in sorted(Level, reverse=True):
        changes = [c for c in result.changes if c.level == level]
        if not changes:
            continue
        out += [
            "",
            f"## {level.words.capitalize()} ({len(changes)})",
            "",
            "| Operation | Rule | Change | OLD | NEW |",
            "|---|---|---|---|---|",
        ]
        out += [
            _row(_code(c.operation), _code(c.rule), _cell(c.message), _code(c.old), _code(c.new))
            for c in changes
        ]
    if result.traffic:
        out += ["", "## Recorded traffic replayed against NEW", ""]
        for impact in result.traffic:
            out += [f"- {_cell(impact.headline())}"]
        for impact in result.traffic:
            rows = [o for o in impact.by_operation if o.refused or o.responses_out or o.removed]
            if rows:
                out += [
                    "",
                    f"### {_cell(impact.source)}",
                    "",
                    _row(
                        "Operation",
                        "Requests",
                        "Refused by NEW",
                        "Responses out of contract",
                        "To a removed operation",
                    ),
                    "|---|---:|---:|---:|---:|",
                ]
                out += [
                    _row(
                        _code(o.operation),
                        f"{o.requests:,}",
                        f"{o.refused:,}",
                        f"{o.responses_out:,}",
                        f"{o.removed:,}",
                    )
                    for o in rows
                ]
            if impact.reasons:
                out += ["", "Why NEW refuses them (the commonest reasons):", ""]
                out += [f"- {_cell(reason)}: {count:,}" for reason, count in impact.reasons]
    return "\n".join(out) + "\n"
