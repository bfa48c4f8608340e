"""What a run found: one `Requirement` per operation × check and per documented rule, with evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from contracts.safe_text import cut


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"  # a finding about the API
    WARNING = "warning"  # the server follows one source where the sources disagree
    SKIPPED = "skipped"  # not applicable here (no fixture, no second workspace, …)
    ERROR = "error"  # the kit could not check it (the target stopped answering, …)


# The sections of the partner reports (Markdown and HTML), in their order.
REPORT_SECTIONS: tuple[tuple[Outcome, str], ...] = (
    (Outcome.FAILED, "Findings"),
    (Outcome.ERROR, "Not checked"),
    (Outcome.WARNING, "Warnings (the seeds disagree)"),
)


@dataclass(slots=True)
class Evidence:
    """One way a requirement was broken, and how to see it again."""

    message: str
    curl: list[str] = field(default_factory=list)  # the requests that reproduce it, in order
    occurrences: int = 1


@dataclass(slots=True)
class Requirement:
    id: str  # stable: "schema/create_batch_call/response_schema_conformance", "rules/invalid_state.…"
    suite: str
    title: str
    outcome: Outcome = Outcome.PASSED
    checked: int = 0  # how many responses or scenarios it was checked on
    evidence: list[Evidence] = field(default_factory=list)
    note: str = ""  # why it was skipped, what a warning cites, what the rule expects
    elapsed: float = 0.0

    MAX_EVIDENCE = 5

    def fail(self, message: str, curl: list[str], outcome: Outcome = Outcome.FAILED) -> None:
        """Note one way the requirement was broken; a message is kept up to `safe_text.MAX_TEXT`
        characters (what a target wrote into it has no bound of its own)."""
        self.outcome = max(self.outcome, outcome, key=_SEVERITY.__getitem__)
        message = cut(message)
        for known in self.evidence:
            if known.message == message:
                known.occurrences += 1
                return
        if len(self.evidence) < self.MAX_EVIDENCE:
            self.evidence.append(Evidence(message, curl))


_SEVERITY = {Outcome.SKIPPED: 0, Outcome.PASSED: 1, Outcome.WARNING: 2, Outcome.FAILED: 3, Outcome.ERROR: 4}


@dataclass(slots=True)
class CleanupSummary:
    deleted: int = 0
    left: list[str] = field(default_factory=list)  # what stays on the target, said in words
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class OperationCoverage:
    """What a run exercised of one operation (`coverage.CoverageRecorder` fills it in)."""

    operation_id: str
    label: str  # "POST /batch-calls"
    statuses: tuple[str, ...]  # documented, sorted
    statuses_seen: tuple[str, ...]  # of those, answered in the run
    codes: tuple[str, ...]  # documented 422 error codes
    codes_seen: tuple[str, ...]
    exercised: bool  # answered at all (perhaps only with undocumented statuses)


@dataclass(frozen=True, slots=True)
class Coverage:
    """What a run exercised of the spec: operations, documented statuses, documented 422 codes."""

    operations: tuple[OperationCoverage, ...]

    def counts(self) -> dict[str, tuple[int, int]]:
        """What was exercised of what is documented: (exercised, documented) for each measure."""
        ops = self.operations
        return {
            "operations": (sum(o.exercised for o in ops), len(ops)),
            "statuses": (sum(len(o.statuses_seen) for o in ops), sum(len(o.statuses) for o in ops)),
            "codes_422": (sum(len(o.codes_seen) for o in ops), sum(len(o.codes) for o in ops)),
        }

    def line(self) -> str:
        c = self.counts()
        return (
            f"coverage: {c['operations'][0]} of {c['operations'][1]} operations, {c['statuses'][0]} of "
            f"{c['statuses'][1]} documented statuses, {c['codes_422'][0]} of {c['codes_422'][1]} "
            "documented 422 codes exercised"
        )


@dataclass(slots=True)
class RunResult:
    run_id: str
    base_url: str
    seed: int
    suites: tuple[str, ...]
    requirements: list[Requirement] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # the kit's own problems during the run
    cleanup: CleanupSummary = field(default_factory=CleanupSummary)
    elapsed: float = 0.0
    suite_elapsed: dict[str, float] = field(default_factory=dict)
    suite_cases: dict[str, int] = field(default_factory=dict)  # Schemathesis test cases sent
    coverage: Coverage | None = None  # None: the run does not say (the proxy's, one not started)

    def __repr__(self) -> str:
        """What `assert result.conformant` shows: the verdict and what failed, not every field."""
        failed = ", ".join(r.id for r in self.findings)
        return f"<RunResult {self.verdict()}" + (f"; failed: {failed}>" if failed else ">")

    def with_outcome(self, outcome: Outcome) -> list[Requirement]:
        return [r for r in self.requirements if r.outcome == outcome]

    @property
    def findings(self) -> list[Requirement]:
        return self.with_outcome(Outcome.FAILED)

    @property
    def incomplete(self) -> bool:
        return bool(self.errors) or bool(self.with_outcome(Outcome.ERROR))

    @property
    def conformant(self) -> bool:
        return not self.findings and not self.incomplete

    @property
    def exit_code(self) -> int:
        """0 conformant, 1 findings, 2 the run could not check everything (a finding-free, partial run)."""
        if self.findings:
            return 1
        return 2 if self.incomplete else 0

    def counts(self, suite: str | None = None) -> dict[Outcome, int]:
        selected = [r for r in self.requirements if suite is None or r.suite == suite]
        return {outcome: sum(r.outcome == outcome for r in selected) for outcome in Outcome}

    def verdict(self) -> str:
        c = self.counts()
        if self.findings:
            return f"NOT CONFORMANT: {c[Outcome.FAILED]} of {len(self.requirements)} requirements failed" + (
                f", {c[Outcome.WARNING]} warnings" if c[Outcome.WARNING] else ""
            )
        if self.incomplete:
            return "INCOMPLETE: no finding, but the kit could not check everything (see the errors)"
        tail = f" ({c[Outcome.WARNING]} warnings)" if c[Outcome.WARNING] else ""
        return f"CONFORMANT: {c[Outcome.PASSED]} requirements passed{tail}"
