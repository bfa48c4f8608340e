"""The coverage section of a run's reports: what was exercised of openapi.json's operations,
documented statuses and documented 422 codes, counted and tabled in every format."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from contracts.coverage import CoverageRecorder
from contracts.exchange import TargetExchange
from contracts.report import console, html, junit, markdown
from contracts.results import RunResult
from contracts.spec import operations

SPEC = json.loads((Path(__file__).resolve().parents[2] / "openapi.json").read_text())


def recorded() -> CoverageRecorder:
    recorder = CoverageRecorder(SPEC)
    recorder.record("create_batch_call", 201, {"data": {}})
    recorder.record("create_batch_call", 422, {"error": {"code": "agent_not_ready"}})
    recorder.record("create_batch_call", 422, {"error": {"code": "not_a_documented_code"}})
    recorder.record("create_batch_call", 599, None)  # undocumented: not a status covered
    # the rules suite's answers: routed by method and path, relative to the base URL
    missing = b'{"error":{"code":"not_found"}}'
    recorder.observe(TargetExchange("GET", "/batch-calls/bc_1?x=1", 404, {}, missing))
    recorder.observe(TargetExchange("GET", "/nowhere", 200, {}, b""))
    return recorder


def test_answers_are_counted_against_what_the_spec_documents() -> None:
    coverage = recorded().coverage()
    by_id = {op.operation_id: op for op in coverage.operations}
    create = by_id["create_batch_call"]
    assert create.exercised and create.statuses_seen == ("201", "422")
    assert "agent_not_ready" in create.codes and create.codes_seen == ("agent_not_ready",)
    assert by_id["get_batch_call"].statuses_seen == ("404",) and by_id["get_batch_call"].codes == ()
    assert not by_id["pause_batch_call"].exercised
    counts = coverage.counts()
    documented = sum(len(op["responses"]) for item in SPEC["paths"].values() for op in item.values()
                     if isinstance(op, dict) and "responses" in op)
    assert counts["operations"] == (2, len(operations(SPEC)))
    assert counts["statuses"] == (3, documented)
    assert counts["codes_422"][0] == 1 and counts["codes_422"][1] >= 7
    total = len(operations(SPEC))
    assert coverage.line().startswith(f"coverage: 2 of {total} operations, 3 of {documented} ")


def test_every_report_format_shows_the_coverage() -> None:
    result = RunResult("run_1", "http://target", 7, ("rules",))
    result.coverage = recorded().coverage()
    assert result.coverage.line() in console.summary(result)
    page = markdown.render(result)
    assert "## Coverage" in page
    assert "| `POST /batch-calls` | `yes` | `201, 422` |" in page
    assert "| `POST /batch-calls/{batch_call_id}/pause` | `no` | `—` |" in page
    suite = ET.fromstring(junit.render(result).split("\n", 1)[1]).find("testsuite")
    assert suite is not None
    found = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert found["coverage.operations.exercised"] == "2" and found["coverage.codes_422.exercised"] == "1"
    assert "<h2>Coverage</h2>" in html.render(result) and "<td>agent_not_ready</td>" in html.render(result)
    result.coverage = None  # a run that says nothing of it (the proxy's): no section
    assert "Coverage" not in markdown.render(result) and "coverage" not in console.summary(result)
