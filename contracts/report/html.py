"""The conformance report as one self-contained HTML page (inline CSS, no script, no external file)."""

from __future__ import annotations

from html import escape

from contracts.report.console import COLUMNS, SUITE_ORDER
from contracts.results import REPORT_SECTIONS, Outcome, Requirement, RunResult

STYLE = """
body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1f24}
h1{font-size:1.6rem} h2{margin-top:2rem;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;width:100%;margin:1rem 0} td,th{border:1px solid #d0d7de;padding:.3rem .5rem;
text-align:left;vertical-align:top} th{background:#f6f8fa} td.n{text-align:right}
.verdict{font-size:1.2rem;font-weight:600;padding:.6rem 1rem;border-radius:6px}
.ok{background:#dafbe1} .bad{background:#ffebe9} .warn{background:#fff8c5} .skip{color:#57606a}
pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
details{margin:.5rem 0 1rem} summary{cursor:pointer;font-weight:600} code{font-size:.9em}
"""
CLASSES = {
    Outcome.PASSED: "ok",
    Outcome.FAILED: "bad",
    Outcome.WARNING: "warn",
    Outcome.SKIPPED: "skip",
    Outcome.ERROR: "bad",
}


def _requirement(requirement: Requirement) -> str:
    parts = [
        f"<details open><summary class='{CLASSES[requirement.outcome]}'>{requirement.outcome.value}: "
        f"<code>{escape(requirement.id)}</code> — {escape(requirement.title)}</summary>"
    ]
    if requirement.note:
        parts.append(f"<p><em>Expected:</em> {escape(requirement.note)}</p>")
    for evidence in requirement.evidence:
        times = f" <small>(seen {evidence.occurrences} times)</small>" if evidence.occurrences > 1 else ""
        parts.append(f"<pre>{escape(evidence.message)}</pre>{times}")
        if evidence.curl:
            parts.append("<p>Reproduce:</p><pre>" + escape("\n".join(evidence.curl)) + "</pre>")
    parts.append("</details>")
    return "\n".join(parts)


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
        f"<p>Target <code>{escape(result.base_url)}</code> · run <code>{escape(result.run_id)}</code> · "
        f"seed {result.seed} · suites {escape(', '.join(result.suites))} · {result.elapsed:.1f} s</p>",
        f"<p class='verdict {verdict_class}'>{escape(result.verdict())}</p>",
        "<p>Reproductions read the key from <code>$BATCHCALLS_API_KEY</code>.</p>",
        "<table><tr><th>suite</th>" + "".join(f"<th>{o.value}</th>" for o in COLUMNS) + "</tr>",
        *rows,
        "</table>",
    ]
    if result.errors:
        body += [
            "<h2>Kit errors (the run is incomplete)</h2><ul>",
            *[f"<li>{escape(e)}</li>" for e in result.errors],
            "</ul>",
        ]
    for outcome, heading in REPORT_SECTIONS:
        chosen = result.with_outcome(outcome)
        if chosen:
            body += [f"<h2>{heading}</h2>", *[_requirement(r) for r in chosen]]
    body += [
        "<h2>Every requirement</h2>",
        "<table><tr><th>result</th><th>requirement</th><th>checked</th><th>notes</th></tr>",
    ]
    for r in result.requirements:
        note = r.note if r.outcome == Outcome.SKIPPED else r.title
        body.append(
            f"<tr class='{CLASSES[r.outcome]}'><td>{r.outcome.value}</td><td><code>{escape(r.id)}"
            f"</code></td><td class=n>{r.checked}</td><td>{escape(note)}</td></tr>"
        )
    body.append("</table>")
    cleanup = result.cleanup
    body += [
        "<h2>Cleanup</h2><ul>",
        f"<li>{cleanup.deleted} batch calls deleted</li>",
        *[f"<li>left on the target: {escape(i)}</li>" for i in cleanup.left],
        *[f"<li>problem: {escape(p)}</li>" for p in cleanup.problems],
        "</ul>",
    ]
    return (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        f"<title>Conformance report {escape(result.run_id)}</title><style>{STYLE}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
