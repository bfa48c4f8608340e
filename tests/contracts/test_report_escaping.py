"""Every report of a run, fed a target's worst text in every field it shows (lone surrogates too,
which a JSON reader can hand over): written, well-formed, printable, and inert."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import hostile_target as hostile
from test_hostile_target import assert_inert_html, assert_inert_markdown

from contracts.curl import curl_command
from contracts.report import write_reports
from contracts.report.console import summary
from contracts.results import Outcome, Requirement, RunResult

TEXT = hostile.HOSTILE_TEXT + hostile.LONE_SURROGATES
# a reproduction of a request that carried the text (as a proxy client can send it)
CURL = curl_command("POST", "http://127.0.0.1:1/x", {"X-Text": TEXT}, TEXT.encode("utf-8", "replace"), {})


def hostile_result() -> RunResult:
    result = RunResult("r1", "http://127.0.0.1:1/api/public/v1", 1, ("probe", "rules", "proxy"))
    for outcome in (Outcome.FAILED, Outcome.ERROR, Outcome.WARNING):
        requirement = Requirement(f"rules/{outcome.value}.{TEXT}", "rules", TEXT, note=TEXT)
        requirement.fail(TEXT, [CURL], outcome)
        requirement.fail(TEXT + " again", [], outcome)
        requirement.fail(TEXT + " again", [], outcome)  # seen twice
        result.requirements.append(requirement)
    result.requirements.append(Requirement("proxy/skipped", "proxy", TEXT, Outcome.SKIPPED, note=TEXT))
    result.requirements.append(Requirement("probe/passed", "probe", TEXT, checked=1))
    result.errors.append(TEXT)
    result.cleanup.left.append(TEXT)
    result.cleanup.problems.append(TEXT)
    return result


def test_every_report_is_well_formed_printable_and_inert(tmp_path: Path) -> None:
    md, xml, html = tmp_path / "r.md", tmp_path / "r.xml", tmp_path / "r.html"
    write_reports(hostile_result(), xml, md, html)
    texts = {path.name: path.read_text(encoding="utf-8") for path in (md, xml, html)}
    texts["console"] = summary(hostile_result())
    for name, text in texts.items():
        assert not [hex(ord(c)) for c in hostile.FORBIDDEN if c in text], name
        assert "\\ud800" in text and "\\x1b[2J" in text, name  # shown, as escapes
    root = ET.fromstring(texts["r.xml"].encode())  # a real XML parser: well-formed
    failure = next(root.iter("failure"))
    assert "]]>" in str(failure.text) and "<script>" in str(failure.text)  # as text
    assert_inert_markdown(texts["r.md"])
    assert_inert_html(texts["r.html"])
    console = texts["console"].splitlines()
    assert not [line for line in console if line.startswith("FAILED  probe/forged")]


def test_a_message_is_kept_up_to_its_bound() -> None:
    requirement = Requirement("rules/x", "rules", "x")
    requirement.fail("y" * 1_000_000, [])
    assert len(requirement.evidence[0].message) < 5_000
    assert requirement.evidence[0].message.endswith("(996000 more characters not shown)")
