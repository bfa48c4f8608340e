"""The coverage section every run report shows: what the run exercised of the spec, as counts and a
table (one row per operation), in the words every format shares; each format only marks it up."""

from __future__ import annotations

from typing import Any

from contracts.results import Coverage

HEADERS = ("operation", "answered", "statuses answered", "statuses not answered", "422 codes answered",
           "422 codes not answered")


def _listed(items: tuple[str, ...] | list[str]) -> str:
    return ", ".join(items) or "—"


def rows(coverage: Coverage) -> list[tuple[str, ...]]:
    """One row per operation, in the spec's order, as HEADERS name the columns."""
    return [
        (
            op.label,
            "yes" if op.exercised else "no",
            _listed(op.statuses_seen),
            _listed([s for s in op.statuses if s not in op.statuses_seen]),
            _listed(op.codes_seen),
            _listed([c for c in op.codes if c not in op.codes_seen]),
        )
        for op in coverage.operations
    ]


def properties(coverage: Coverage) -> list[tuple[str, str]]:
    """The counts as (name, value) pairs: JUnit's properties."""
    found = []
    for measure, (seen, documented) in coverage.counts().items():
        found += [(f"coverage.{measure}.exercised", str(seen)),
                  (f"coverage.{measure}.documented", str(documented))]
    return found


def coverage_json(coverage: Coverage) -> dict[str, Any]:
    """The counts and the table as JSON (the sandbox's readiness report)."""
    counts = coverage.counts()
    shown: dict[str, Any] = {
        measure: {"exercised": seen, "documented": documented}
        for measure, (seen, documented) in counts.items()
    }
    shown["by_operation"] = [
        {
            "operation": op.label,
            "exercised": op.exercised,
            "statuses_answered": list(op.statuses_seen),
            "statuses_not_answered": [s for s in op.statuses if s not in op.statuses_seen],
            "codes_422_answered": list(op.codes_seen),
            "codes_422_not_answered": [c for c in op.codes if c not in op.codes_seen],
        }
        for op in coverage.operations
    ]
    return shown
