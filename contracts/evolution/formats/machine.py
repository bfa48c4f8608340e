"""JSON and JUnit XML: for programs and CI dashboards."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import asdict
from typing import Any

import orjson

from contracts.evolution.result import DiffResult
from contracts.evolution.rules import Level


def as_json(result: DiffResult) -> str:
    document: dict[str, Any] = {
        "old": result.old,
        "new": result.new,
        "verdict": result.verdict,
        "fail_on": result.fail_on.label,
        "exit_code": result.exit_code,
        "counts": {level.label: result.count(level) for level in sorted(Level, reverse=True)},
        "changes": [
            {
                "rule": c.rule,
                "level": c.level.label,
                "operation": c.operation,
                "message": c.message,
                "old": c.old,
                "new": c.new,
            }
            for c in result.changes
        ],
        "traffic": [{**asdict(t), "breaking": t.breaking, "headline": t.headline()} for t in result.traffic],
    }
    return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n"


def as_junit(result: DiffResult) -> str:
    """One test case per change (a failure when it fails the gate) and one per traffic file."""
    root = ET.Element("testsuites", name="batchcalls-contract diff")
    failing = len(result.failing)
    suite = ET.SubElement(
        root,
        "testsuite",
        name="contract.diff",
        tests=str(max(1, len(result.changes))),
        failures=str(failing),
        errors="0",
        skipped="0",
    )
    if not result.changes:
        ET.SubElement(suite, "testcase", classname="contract.diff", name="no changes")
    for change in result.changes:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"contract.diff.{change.operation}",
            name=f"{change.rule}: {change.message}"[:300],
        )
        text = f"{change.level.words}: {change.message}\nOLD {change.old or '-'}\nNEW {change.new or '-'}"
        if change.level >= result.fail_on:
            ET.SubElement(
                case, "failure", message=f"{change.level.words}: {change.message}"[:500]
            ).text = text
        else:
            ET.SubElement(case, "system-out").text = text
    if result.traffic:
        broken = sum(1 for t in result.traffic if t.breaking)
        traffic = ET.SubElement(
            root,
            "testsuite",
            name="contract.traffic",
            tests=str(len(result.traffic)),
            failures=str(broken),
            errors="0",
            skipped="0",
        )
        for impact in result.traffic:
            case = ET.SubElement(traffic, "testcase", classname="contract.traffic", name=impact.source)
            if impact.breaking:
                ET.SubElement(case, "failure", message=impact.headline()[:500]).text = impact.headline()
            else:
                ET.SubElement(case, "system-out").text = impact.headline()
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
