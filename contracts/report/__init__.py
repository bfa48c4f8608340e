"""Reports of a run: the console summary, JUnit XML for CI, Markdown and HTML for partners."""

from __future__ import annotations

from pathlib import Path

from contracts.errors import UsageError
from contracts.report import html, junit, markdown
from contracts.results import RunResult


def write_reports(
    result: RunResult, junit_xml: Path | None, report_md: Path | None, report_html: Path | None
) -> list[Path]:
    written = []
    for path, render in ((junit_xml, junit.render), (report_md, markdown.render), (report_html, html.render)):
        if path is None:
            continue
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render(result), encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write the report {path}: {exc.strerror}") from None
        written.append(path)
    return written
