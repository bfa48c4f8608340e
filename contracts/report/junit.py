"""JUnit XML: one testsuite per suite, one testcase per requirement; warnings pass with system-out.

XML 1.0 cannot hold most control characters nor lone surrogates, which a target's text may carry:
every text and attribute goes through `safe_text.printable` first, so the file is always well-formed
(ElementTree escapes `<`, `&`, `>` and quotes, so `]]>` and markup stay text).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from contracts.report import coverage as coverage_section
from contracts.report.console import SUITE_ORDER
from contracts.results import Evidence, Outcome, RunResult
from contracts.safe_text import printable


def _text(evidence: list[Evidence]) -> str:
    parts = []
    for e in evidence:
        times = f" (seen {e.occurrences} times)" if e.occurrences > 1 else ""
        parts.append(e.message + times + "".join(f"\n  reproduce: {c}" for c in e.curl))
    return printable("\n\n".join(parts))


def render(result: RunResult) -> str:
    root = ET.Element("testsuites", name="batchcalls-contract", time=f"{result.elapsed:.3f}")
    for suite in [s for s in SUITE_ORDER if s in result.suites]:
        selected = [r for r in result.requirements if r.suite == suite]
        counts = result.counts(suite)
        element = ET.SubElement(
            root,
            "testsuite",
            name=f"contract.{suite}",
            tests=str(len(selected)),
            failures=str(counts[Outcome.FAILED]),
            errors=str(counts[Outcome.ERROR]),
            skipped=str(counts[Outcome.SKIPPED]),
            time=f"{result.suite_elapsed.get(suite, 0.0):.3f}",
        )
        if result.coverage is not None:  # the run's, on each suite (JUnit has properties per suite)
            found = ET.SubElement(element, "properties")
            for name, value in coverage_section.properties(result.coverage):
                ET.SubElement(found, "property", name=name, value=value)
        for requirement in selected:
            classname, _, name = requirement.id.rpartition("/")
            case = ET.SubElement(
                element,
                "testcase",
                classname=printable(classname.replace("/", ".")),
                name=printable(name),
                time=f"{requirement.elapsed:.3f}",
            )
            first = requirement.evidence[0].message.split("\n", 1)[0][:500] if requirement.evidence else ""
            if requirement.outcome == Outcome.FAILED:
                ET.SubElement(case, "failure", message=printable(first)).text = _text(requirement.evidence)
            elif requirement.outcome == Outcome.ERROR:
                ET.SubElement(case, "error", message=printable(first)).text = _text(requirement.evidence)
            elif requirement.outcome == Outcome.SKIPPED:
                ET.SubElement(case, "skipped", message=printable(requirement.note))
            elif requirement.outcome == Outcome.WARNING:
                ET.SubElement(case, "system-out").text = "WARNING: " + _text(requirement.evidence)
    if result.errors:
        element = ET.SubElement(
            root,
            "testsuite",
            name="contract.kit",
            tests=str(len(result.errors)),
            failures="0",
            errors=str(len(result.errors)),
            skipped="0",
        )
        for index, error in enumerate(result.errors, start=1):
            case = ET.SubElement(element, "testcase", classname="contract.kit", name=f"error-{index}")
            ET.SubElement(case, "error", message=printable(error[:500])).text = printable(error)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
