"""Against the correct sandbox every suite is clean: exit 0, zero findings, reports, nothing left behind."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from contracts.cli import main
from contracts.config import KitConfig
from contracts.results import Outcome
from contracts.runner import run

KEY = "sk_test_sandbox"


def test_every_suite_is_clean_against_the_sandbox(
    contract_sandbox: Callable[..., str], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = contract_sandbox()
    # where the kit is run from: it writes nothing there (Hypothesis's own folder, its Unicode tables,
    # is where the process was when it first imported Hypothesis: not this one)
    where = tmp_path / "cwd"
    where.mkdir()
    monkeypatch.chdir(where)
    junit, markdown, html = tmp_path / "junit.xml", tmp_path / "report.md", tmp_path / "report.html"
    code = main(
        [
            "run",
            "--base-url",
            url,
            "--api-key",
            KEY,
            "--seed",
            "7",
            "--max-examples",
            "10",
            "--junit-xml",
            str(junit),
            "--report",
            str(markdown),
            "--html",
            str(html),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "CONFORMANT" in out and "NOT CONFORMANT" not in out
    assert "creates batch calls named 'contract-kit r" in out  # the plan, said before starting
    assert "coverage: 22 of 22 operations, " in out  # every suite together reaches every operation

    suites = {s.get("name"): s for s in ET.parse(junit).getroot()}
    assert set(suites) == {"contract.probe", "contract.schema", "contract.stateful", "contract.rules"}
    assert all(s.get("failures") == "0" and s.get("errors") == "0" for s in suites.values())
    rules = {case.get("name") for case in suites["contract.rules"]}
    assert {"invalid_state.pause_from_draft", "idempotency.replay", "isolation.foreign_batch"} <= rules
    assert {"read_after_write", "consistency.reads_after_writes"} <= rules  # reads agreed with writes
    stateful = {str(case.get("classname")) for case in suites["contract.stateful"]}
    linked = {"schedule", "pause", "resume", "update", "delete", "get"}
    assert "stateful.create_batch_call" in stateful  # sequences start with a create and follow its links
    assert len({name for name in stateful if name.removesuffix("_batch_call").split(".")[-1] in linked}) >= 3

    properties = {p.get("name"): int(p.get("value") or 0) for p in suites["contract.rules"].iter("property")}
    assert properties["coverage.codes_422.exercised"] >= 5  # the rules suite's business rules
    report = markdown.read_text(encoding="utf-8")
    assert "## Coverage" in report
    assert "**CONFORMANT" in report and "`schema/create_batch_call/response_schema_conformance`" in report
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and " src=" not in page
    assert "http" not in page.split("<body>")[0]

    left = httpx.get(url + "/batch-calls", headers={"Authorization": f"Bearer {KEY}"}).json()
    assert left["pagination"]["total"] == 0, "the kit must delete every batch call it created"
    # no state of its own kept from one run to the next (Schemathesis's cache, `.schemathesis/`,
    # made a run's scenarios depend on the runs before it and on others running beside it)
    assert sorted(path.name for path in where.iterdir()) == []


def test_where_the_seeds_disagree_the_kit_warns(
    contract_sandbox: Callable[..., str], contract_config: KitConfig
) -> None:
    """The sandbox's --live-edits follows seed 003 (edit while scheduled/paused): warnings, not findings."""
    url = contract_sandbox(live_edits=True)
    result = run(dataclasses.replace(contract_config, base_url=url, suites=("rules",)))
    warnings = {r.id: r for r in result.requirements if r.outcome == Outcome.WARNING}
    assert set(warnings) == {
        "rules/invalid_state.patch_after_schedule",
        "rules/invalid_state.patch_while_paused",
    }
    assert all(
        "003" in r.evidence[0].message and "000/001" in r.evidence[0].message for r in warnings.values()
    )
    assert result.exit_code == 0 and "(2 warnings)" in result.verdict()
