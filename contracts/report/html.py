"""The conformance report as one self-contained HTML page (inline CSS and script, no external file).

Findings first, grouped by operation (or by rule theme), with a filter box; then warnings and what
could not be checked; every passed or skipped requirement folded away at the end. Messages keep
their lines: schema failures say what was checked and show the offending part of the body.

Every text goes through `text()`: `safe_text.printable` (no control character, no lone surrogate),
then HTML escaping (quotes too), so nothing a target wrote becomes markup, a link or script.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape

from contracts.report import coverage as coverage_section
from contracts.report.console import COLUMNS, SUITE_ORDER
from contracts.results import REPORT_SECTIONS, Coverage, Outcome, Requirement, RunResult
from contracts.safe_text import printable

STYLE = """
body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:76rem;padding:0 1rem;color:#1b1f24}
h1{font-size:1.6rem} h2{margin-top:2rem;border-bottom:1px solid #d0d7de} h3{margin:1.2rem 0 .3rem}
table{border-collapse:collapse;width:100%;margin:1rem 0} td,th{border:1px solid #d0d7de;padding:.3rem .5rem;
text-align:left;vertical-align:top} th{background:#f6f8fa} td.n{text-align:right}
.verdict{font-size:1.2rem;font-weight:600;padding:.6rem 1rem;border-radius:6px}
.ok{background:#dafbe1} .bad{background:#ffebe9} .warn{background:#fff8c5} .skip{color:#57606a}
pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all;margin:.3rem 0}
details{margin:.4rem 0 .8rem} summary{cursor:pointer} summary.req{font-weight:600} code{font-size:.9em}
.group{border-left:4px solid #cf222e;padding-left:.8rem;margin:1rem 0}
.group.warn-group{border-color:#bf8700} .count{color:#57606a;font-weight:400}
#filter{width:100%;font:inherit;padding:.4rem .6rem;border:1px solid #d0d7de;border-radius:6px}
.hidden{display:none}
"""
# hides every requirement (and emptied group) whose text does not contain what the box says
SCRIPT = """
document.getElementById('filter').addEventListener('input', function (event) {
  var words = event.target.value.toLowerCase();
  document.querySelectorAll('[data-text]').forEach(function (node) {
    node.classList.toggle('hidden', words !== '' && node.dataset.text.indexOf(words) < 0);
  });
  document.querySelectorAll('.group').forEach(function (group) {
    var shown = group.querySelectorAll('[data-text]:not(.hidden)').length;
    group.classList.toggle('hidden', shown === 0);
  });
});
"""
CLASSES = {
    Outcome.PASSED: "ok",
    Outcome.FAILED: "bad",
    Outcome.WARNING: "warn",
    Outcome.SKIPPED: "skip",
    Outcome.ERROR: "bad",
}


def text(value: str) -> str:
    """`value` as HTML text or attribute value: printable, every markup character escaped."""
    return escape(printable(value), quote=True)


def group_of(requirement: Requirement) -> str:
    """The operation a requirement is about (`schema/<operationId>/<check>`), else its rule theme."""
    parts = requirement.id.split("/")
    if len(parts) == 3:
        return parts[1]
    name = parts[-1]
    return f"{parts[0]}: {name.split('.')[0]}" if "." in name else parts[0]


def _searchable(requirement: Requirement) -> str:
    words = [requirement.id, requirement.title, *(e.message for e in requirement.evidence)]
    return text(" ".join(words).lower())


def _requirement(requirement: Requirement, open_: bool = True) -> str:
    parts = [
        f'<details{" open" if open_ else ""} data-text="{_searchable(requirement)}">'
        f"<summary class='req {CLASSES[requirement.outcome]}'>{requirement.outcome.value}: "
        f"<code>{text(requirement.id)}</code> — {text(requirement.title)}</summary>"
    ]
    if requirement.note:
        parts.append(f"<p><em>Expected:</em> {text(requirement.note)}</p>")
    for evidence in requirement.evidence:
        times = f" <small>(seen {evidence.occurrences} times)</small>" if evidence.occurrences > 1 else ""
        parts.append(f"<pre>{text(evidence.message)}</pre>{times}")
        if evidence.curl:
            parts.append("<p>Reproduce:</p><pre>" + text("\n".join(evidence.curl)) + "</pre>")
    parts.append("</details>")
    return "\n".join(parts)


def _grouped(chosen: list[Requirement], css: str) -> list[str]:
    groups: dict[str, list[Requirement]] = defaultdict(list)
    for requirement in chosen:
        groups[group_of(requirement)].append(requirement)
    body = []
    for name in sorted(groups, key=lambda g: (-len(groups[g]), g)):
        members = groups[name]
        body += [
            f"<section class='group {css}'><h3>{text(name)} <span class=count>({len(members)})</span></h3>",
            *[_requirement(r) for r in members],
            "</section>",
        ]
    return body


def _coverage(coverage: Coverage) -> list[str]:
    head = "".join(f"<th>{text(h)}</th>" for h in coverage_section.HEADERS)
    table = coverage_section.rows(coverage)
    cells = ["<tr>" + "".join(f"<td>{text(c)}</td>" for c in row) + "</tr>" for row in table]
    return [
        f"<h2>Coverage</h2><p>{text(coverage.line())}.</p>",
        f"<details><summary>Per operation</summary><table><tr>{head}</tr>", *cells, "</table></details>",
    ]


def render(result: RunResult) -> str:
    verdict_class = "ok" if result.conformant else ("bad" if result.findings else "warn")
    rows = []
    for suite in [s for s in SUITE_ORDER if s in result.suites]:
        counts = result.counts(suite)
        rows.append(
            f"<tr><td>{suite}</td>" + "".join(f"<td class=n>{counts[o]}</td>" for o in COLUMNS) + "</tr>"
        )
    body = [
        "<h1>Batch Calls API conformance report</h1>",
        f"<p>Target <code>{text(result.base_url)}</code> · run <code>{text(result.run_id)}</code> · "
        f"seed {result.seed} · suites {text(', '.join(result.suites))} · {result.elapsed:.1f} s</p>",
        f"<p class='verdict {verdict_class}'>{text(result.verdict())}</p>",
        "<table><tr><th>suite</th>" + "".join(f"<th>{o.value}</th>" for o in COLUMNS) + "</tr>",
        *rows,
        "</table>",
        "<p>Reproductions read the key from <code>$BATCHCALLS_API_KEY</code>.</p>",
        "<input id=filter type=search placeholder='Filter: an operation, a check, any word of a message'>",
    ]
    if result.coverage is not None:
        body += _coverage(result.coverage)
    if result.errors:
        body += [
            "<h2>Kit errors (the run is incomplete)</h2><ul>",
            *[f"<li>{text(e)}</li>" for e in result.errors],
            "</ul>",
        ]
    for outcome, heading in REPORT_SECTIONS:
        chosen = result.with_outcome(outcome)
        if chosen:
            css = "warn-group" if outcome == Outcome.WARNING else ""
            body += [f"<h2>{heading} <span class=count>({len(chosen)})</span></h2>", *_grouped(chosen, css)]
    if not result.findings:
        body.append("<p class='verdict ok'>No finding.</p>")
    folded = [r for r in result.requirements if r.outcome in (Outcome.PASSED, Outcome.SKIPPED)]
    body += [
        f"<h2>Passed and skipped <span class=count>({len(folded)})</span></h2>",
        f"<details><summary>Show the {len(folded)} requirements that passed or were skipped</summary>",
        "<table><tr><th>result</th><th>requirement</th><th>checked</th><th>notes</th></tr>",
    ]
    for r in folded:
        note = r.note if r.outcome == Outcome.SKIPPED else r.title
        body.append(
            f"<tr class='{CLASSES[r.outcome]}' data-text=\"{_searchable(r)}\"><td>{r.outcome.value}</td>"
            f"<td><code>{text(r.id)}</code></td><td class=n>{r.checked}</td><td>{text(note)}</td></tr>"
        )
    body.append("</table></details>")
    cleanup = result.cleanup
    body += [
        "<h2>Cleanup</h2><ul>",
        f"<li>{cleanup.deleted} batch calls deleted</li>",
        *[f"<li>left on the target: {text(i)}</li>" for i in cleanup.left],
        *[f"<li>problem: {text(p)}</li>" for p in cleanup.problems],
        "</ul>",
    ]
    return (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        f"<title>Conformance report {text(result.run_id)}</title><style>{STYLE}</style></head>\n<body>\n"
        + "\n".join(body)
        + f"\n<script>{SCRIPT}</script>\n</body></html>\n"
    )
