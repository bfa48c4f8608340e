"""The console summary: reproductions are printed whole, however long."""

from __future__ import annotations

from contracts.report.console import describe
from contracts.results import Outcome, Requirement


def test_a_long_curl_command_is_never_cut() -> None:
    long_body = "x" * 3000
    command = f"curl -i -X POST --data-binary '{long_body}' 'http://127.0.0.1:1/api/public/v1/batch-calls'"
    requirement = Requirement("rules/create.created", "rules", "Create")
    requirement.fail("y" * 1000, [command])
    lines = describe(requirement)
    assert requirement.outcome == Outcome.FAILED
    assert f"    reproduce: {command}" in lines
    assert any(line.endswith("… (in full in the reports)") for line in lines)
