"""The report of a readiness session: every check graded, and the verdict.

Verdict: `not_ready` when a check failed; else `ready` when every required check was observed
(and passed); else `incomplete`. A session that saw no create is never `ready`: without one the
required checks have nothing to judge; nor is one some of whose requests were dropped from the
request journal before the report: what they showed is unknown.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from contracts.report.coverage import coverage_json
from contracts.results import Coverage
from mock_server.readiness.advice import WORDING, advice
from mock_server.readiness.checks import CHECKS, Session, Status
from mock_server.readiness.exchanges import Exchange

Verdict = Literal["ready", "not_ready", "incomplete"]

EVIDENCE_LIMIT = 20  # ids listed per check; the rest are counted in the advice's place
API_CHECKS = (
    "idempotency_key_on_create",
    "retry_reuses_idempotency_key",
    "honors_retry_after",
    "no_hammering_on_errors",
    "sends_valid_requests",
)
WEBHOOK_CHECKS = (
    "webhook_rejects_bad_signature",
    "webhook_rejects_stale_timestamp",
    "webhook_acknowledges_fast",
)


@dataclass(frozen=True, slots=True)
class CheckResult:
    id: str
    title: str
    status: Status
    evidence: list[str]
    advice: str
    required: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "evidence": self.evidence,
            "advice": self.advice,
        }


@dataclass(frozen=True, slots=True)
class Report:
    workspace_id: str
    started_at: str  # RFC 3339, wall clock
    verdict: Verdict
    checks: list[CheckResult]
    dropped_requests: int = 0  # of the session, no longer in the request journal: not graded
    coverage: Coverage | None = None  # what the client exercised of the API's contract


    def as_json(self) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "workspace_id": self.workspace_id,
            "started_at": self.started_at,
            "verdict": self.verdict,
            "checks": [c.as_json() for c in self.checks],
        }
        if self.dropped_requests:  # only then: a complete session's report is as it always was
            shown["dropped_requests"] = self.dropped_requests
        if self.coverage is not None:
            shown["coverage"] = coverage_json(self.coverage)
        return shown


def required_checks(session: Session) -> frozenset[str]:
    """The API checks once the session saw a create; the webhook ones when a receiver is set."""
    required: set[str] = set()
    if any(e.is_create for e in session.exchanges):
        required.update(API_CHECKS)
    if session.receiver_configured:
        required.update(WEBHOOK_CHECKS)
    return frozenset(required)


def verdict_of(results: Iterable[CheckResult], saw_create: bool, complete: bool = True) -> Verdict:
    """`complete`: every request of the session is still in the journal."""
    results = list(results)
    if any(r.status == "failed" for r in results):
        return "not_ready"
    if saw_create and complete and all(r.status == "passed" for r in results if r.required):
        return "ready"
    return "incomplete"


def api_exchanges(exchanges: Iterable[Exchange]) -> list[Exchange]:
    """The workspace's API requests in arrival order; the control API (/_mock) is not graded."""
    return sorted((e for e in exchanges if not e.path.startswith("/_mock")), key=lambda e: e.received_at)


def grade(session: Session, workspace_id: str, started_at: str) -> Report:
    steps = grading_steps(session, workspace_id, started_at)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]


def grading_steps(session: Session, workspace_id: str, started_at: str) -> Generator[None, None, Report]:
    """`grade`, a step a check: a caller sharing its time with others (the sandbox's event loop,
    `engine/turns.py`) lets them run between two checks."""
    session = Session(
        exchanges=api_exchanges(session.exchanges),
        deliveries=session.deliveries,
        unavailable_request_id=session.unavailable_request_id,
        receiver_configured=session.receiver_configured,
        dropped_requests=session.dropped_requests,
    )
    required = required_checks(session)
    results: list[CheckResult] = []
    for check_id, check in CHECKS.items():
        yield
        finding = check(session)
        evidence = finding.evidence[:EVIDENCE_LIMIT]
        text = advice(check_id, finding.status)
        if len(finding.evidence) > EVIDENCE_LIMIT:
            text += f" ({len(finding.evidence) - EVIDENCE_LIMIT} more ids not listed.)"
        title = WORDING[check_id].title
        results.append(CheckResult(check_id, title, finding.status, evidence, text, check_id in required))
    saw_create = any(e.is_create for e in session.exchanges)
    verdict = verdict_of(results, saw_create, complete=not session.dropped_requests)
    return Report(workspace_id, started_at, verdict, results, session.dropped_requests)


def summary(report: Report) -> Mapping[Status, int]:
    counts: dict[Status, int] = {"passed": 0, "failed": 0, "warning": 0, "not_observed": 0}
    for result in report.checks:
        counts[result.status] += 1
    return counts
