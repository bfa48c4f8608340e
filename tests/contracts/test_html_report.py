"""The HTML report people read: findings first, grouped by operation, a filter box, passed
requirements folded, schema failures with what was checked and the offending part of the body."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from contracts.cli import main
from contracts.config import KitConfig
from contracts.report import html
from contracts.runner import run


def test_a_report_with_schema_findings(
    contract_sandbox: Callable[..., str], contract_config: KitConfig, tmp_path: Path
) -> None:
    url = contract_sandbox(defects=frozenset({"missing_required_field"}))
    config = dataclasses.replace(
        contract_config,
        base_url=url,
        suites=("schema",),
        include_operations=("create_batch_call", "get_batch_call"),
        max_examples=3,
        seed=1,
    )
    result = run(config)
    page = html.render(result)
    findings = page.index("<h2>Findings")
    passed = page.index("<h2>Passed and skipped")
    assert findings < passed  # findings first
    assert "<section class='group '><h3>create_batch_call" in page  # grouped by operation
    assert "<input id=filter" in page and "addEventListener('input'" in page
    folded = page[passed:]
    assert "<details><summary>Show the" in folded and "<details open" not in folded  # folded away
    schema = page[findings:passed]
    assert "schema/create_batch_call/response_schema_conformance" in schema
    assert "checked: the response schema for status code 201, at /components/schemas/" in schema
    assert "offending part: body[" in schema
    assert "created_at" in schema


def test_the_page_loads_nothing_from_elsewhere(contract_sandbox: Callable[..., str], tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    url = contract_sandbox()
    main(
        ["run", "--base-url", url, "--api-key", "sk_test_sandbox", "--suite", "rules", "--html", str(report)]
    )
    page = report.read_text(encoding="utf-8")
    assert " src=" not in page and "href=" not in page and "@import" not in page
    assert "No finding." in page
