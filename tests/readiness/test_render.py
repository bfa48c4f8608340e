"""Markdown and HTML renderings of one report say the same things, and HTML is escaped."""

from __future__ import annotations

from html.parser import HTMLParser

from readiness.builders import create

from mock_server.readiness import Session, grade, html, markdown


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "tr" and values.get("id"):
            self.ids.append(str(values["id"]))
        if tag in ("script", "link", "img") or values.get("src"):
            self.external.append(tag)


def test_markdown_lists_every_check_and_the_verdict() -> None:
    report = grade(Session([create(0, key=None)]), "ws_1", "2026-12-01T09:00:00.000000Z")
    text = markdown(report)
    assert text.startswith("# Client readiness: not_ready")
    for check in report.checks:
        assert f"`{check.id}`" in text and check.advice in text


def test_html_is_self_contained_and_escaped() -> None:
    report = grade(Session([create(0, key=None)]), "<ws&1>", "2026-12-01T09:00:00.000000Z")
    page = html(report)
    parsed = _Collect()
    parsed.feed(page)
    assert parsed.ids == [c.id for c in report.checks]
    assert parsed.external == []  # no script, stylesheet link or image: it works offline
    assert "&lt;ws&amp;1&gt;" in page and "<ws&1>" not in page


def test_requests_the_journal_dropped_are_said_in_both() -> None:
    report = grade(Session([create(0)], dropped_requests=3), "ws_1", "2026-12-01T09:00:00.000000Z")
    assert "- 3 requests of this session are no longer in the request journal" in markdown(report)
    assert '<dd id="dropped">3 requests of this session' in html(report)
    assert "no longer" not in markdown(grade(Session([create(0)]), "ws_1", "t"))
