"""The report as Markdown or as one self-contained HTML page (inline CSS, no script, no CDN)."""

from __future__ import annotations

from html import escape

from contracts.report import coverage as coverage_section
from contracts.results import Coverage
from mock_server.readiness.grading import Report, summary

VERDICT_TEXT = {
    "ready": "Ready: no check failed and every required check was observed.",
    "not_ready": "Not ready: at least one check failed.",
    "incomplete": "Incomplete: nothing failed, but some required checks were not observed yet.",
}
STATUS_MARK = {
    "passed": "✅ passed",
    "failed": "❌ failed",
    "warning": "⚠️ warning",
    "not_observed": "… not observed",
}


def dropped_text(report: Report) -> str:
    return (f"{report.dropped_requests} requests of this session are no longer in the request journal "
            "(--journal-size, --journal-max-bytes, or cleared) and were not graded: arm again, and keep "
            "a session shorter than the journal.")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(report: Report) -> str:
    counts = summary(report)
    lines = [
        f"# Client readiness: {report.verdict}",
        "",
        VERDICT_TEXT[report.verdict],
        "",
        f"- Workspace: `{report.workspace_id}`",
        f"- Session started: {report.started_at}",
        "- Checks: " + ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in counts.items()),
        *([f"- {dropped_text(report)}"] if report.dropped_requests else []),
        "",
        "| Check | Required | Status | Evidence |",
        "|---|---|---|---|",
    ]
    for c in report.checks:
        evidence = ", ".join(f"`{e}`" for e in c.evidence) or "—"
        lines.append(
            f"| {_cell(c.title)} (`{c.id}`) | {'yes' if c.required else 'no'} | {STATUS_MARK[c.status]} "
            f"| {evidence} |"
        )
    lines += ["", "## Advice", ""]
    for c in report.checks:
        lines.append(f"- **{c.title}** ({STATUS_MARK[c.status]}): {c.advice}")
    if report.coverage is not None:
        lines += ["", *_coverage_markdown(report.coverage)]
    return "\n".join(lines) + "\n"


def _coverage_markdown(coverage: Coverage) -> list[str]:
    headers = coverage_section.HEADERS
    return [
        "## Coverage", "", f"What the client's requests exercised of the contract: {coverage.line()}.", "",
        "| " + " | ".join(headers) + " |", "|---" * len(headers) + "|",
        *["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in coverage_section.rows(coverage)],
    ]


def _coverage_html(coverage: Coverage | None) -> str:
    if coverage is None:
        return ""
    head = "".join(f"<th>{escape(h)}</th>" for h in coverage_section.HEADERS)
    rows = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>"
                   for row in coverage_section.rows(coverage))
    return (f'<h2>Coverage</h2>\n<p id="coverage">{escape(coverage.line())}.</p>\n'
            f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>\n")


_CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:60rem;
padding:0 1rem;color:#1b1f24;background:#fff}
h1{font-size:1.6rem;margin-bottom:.25rem}
.verdict{display:inline-block;padding:.2rem .7rem;border-radius:1rem;font-weight:600;color:#fff}
.verdict.ready{background:#1a7f37}.verdict.not_ready{background:#cf222e}.verdict.incomplete{background:#9a6700}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;color:#57606a}
dt{font-weight:600}dd{margin:0}
table{border-collapse:collapse;width:100%;margin-top:1rem}
th,td{text-align:left;vertical-align:top;padding:.5rem;border-bottom:1px solid #d0d7de}
th{background:#f6f8fa}
.status{font-weight:600;white-space:nowrap}
.passed{color:#1a7f37}.failed{color:#cf222e}.warning{color:#9a6700}.not_observed{color:#57606a}
code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f6f8fa;padding:0 .2rem;
border-radius:3px;word-break:break-all}
.advice{color:#424a53;margin-top:.3rem}
""".strip()


def html(report: Report) -> str:
    counts = summary(report)
    rows = []
    for c in report.checks:
        evidence = " ".join(f"<code>{escape(e)}</code>" for e in c.evidence) or "—"
        rows.append(
            f'<tr id="{escape(c.id)}" data-status="{escape(c.status)}">'
            f"<td><strong>{escape(c.title)}</strong><br><code>{escape(c.id)}</code>"
            f'<div class="advice">{escape(c.advice)}</div></td>'
            f"<td>{'required' if c.required else 'optional'}</td>"
            f'<td class="status {escape(c.status)}">{escape(STATUS_MARK[c.status])}</td>'
            f"<td>{evidence}</td></tr>"
        )
    tally = ", ".join(f"{n} {escape(status.replace('_', ' '))}" for status, n in counts.items())
    dropped = ""
    if report.dropped_requests:
        dropped = f'<dt>Not graded</dt><dd id="dropped">{escape(dropped_text(report))}</dd>\n'
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Client readiness: {escape(report.verdict)}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>Client readiness
<span class="verdict {escape(report.verdict)}" id="verdict">{escape(report.verdict)}</span></h1>
<p>{escape(VERDICT_TEXT[report.verdict])}</p>
<dl>
<dt>Workspace</dt><dd><code>{escape(report.workspace_id)}</code></dd>
<dt>Session started</dt><dd>{escape(report.started_at)}</dd>
<dt>Checks</dt><dd>{tally}</dd>
{dropped}</dl>
<table>
<thead><tr><th>Check</th><th>Required</th><th>Status</th><th>Evidence</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
{_coverage_html(report.coverage)}</body>
</html>
"""
