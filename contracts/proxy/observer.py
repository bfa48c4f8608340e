"""What the proxy concludes from the exchanges it forwards: one requirement per operation and check,
plus the batches' observed status transitions against the documented lifecycle. Pure: no I/O.

Requirements:
- `proxy/<operationId>/request_schema_conformance` the client's JSON body against the spec (a
  warning: the client, not the target, broke the contract);
- `proxy/<operationId>/status_code_conformance` the status is one the operation documents;
- `proxy/<operationId>/response_schema_conformance` the body against the documented schema;
- `proxy/<operationId>/<check>` every response check of the profile (`contracts.checks`);
- `proxy/lifecycle.transitions` no batch is seen moving against the documented lifecycle;
- `proxy/read_after_write` every read of a batch shows what the last write answered
  (`contracts.consistency`, when the profile says what its writes and reads are);
- `proxy/not_checked` (skipped) how many answers' bodies were not checked, and why.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from contracts.checks import ResponseCheck
from contracts.consistency import REQUIREMENT_TITLE, ReadsAfterWrites, reachable
from contracts.dialects import KitDialect
from contracts.exchange import TargetExchange, parse_json
from contracts.proxy.contract import Contract, Operation, SchemaProblem
from contracts.results import Outcome, Requirement
from contracts.spec import SpecFacts

LIFECYCLE = "proxy/lifecycle.transitions"
READ_AFTER_WRITE = "proxy/read_after_write"
NOT_CHECKED = "proxy/not_checked"
# batches whose last status is remembered (the least recently seen is forgotten past it), and the
# longest id remembered: a target chooses how many ids it answers and how long they are
MAX_BATCHES = 100_000
MAX_ID = 256


@dataclass(frozen=True, slots=True)
class Forwarded:
    """One exchange the proxy forwarded. Bodies are None when too large to keep for the checks."""

    sequence: int  # the order the requests arrived in
    method: str
    path: str  # as the client sent it (without the query)
    request_headers: Mapping[str, str]  # lower-case names
    request_body: bytes | None
    response: TargetExchange  # its content: b"" when not kept
    unchecked: str = ""  # why the answer's body is not checked (too large, an encoding not decoded)


@dataclass
class _Seen:
    sequence: int
    status: str
    where: str  # the exchange that showed it


@dataclass
class Observations:
    contract: Contract
    dialect: KitDialect
    facts: SpecFacts
    requirements: dict[str, Requirement] = field(default_factory=dict)
    batches: OrderedDict[str, _Seen] = field(default_factory=OrderedDict)
    exchanges: int = 0
    unmatched: int = 0  # requests that are no operation of the spec (not checked)
    not_checked: Counter[str] = field(default_factory=Counter)  # answers whose body is not checked, by why
    _lock: threading.Lock = field(default_factory=threading.Lock)
    reads: ReadsAfterWrites | None = None

    def __post_init__(self) -> None:
        self.requirement(
            LIFECYCLE,
            "Every batch is seen moving only as the documented lifecycle allows (a completed batch "
            "never becomes active again, …)",
        )
        profile = self.dialect.read_after_write
        if profile is not None:
            self.reads = ReadsAfterWrites(profile, self.dialect.lifecycle)
            self.requirement(READ_AFTER_WRITE, REQUIREMENT_TITLE)

    def requirement(self, key: str, title: str) -> Requirement:
        if key not in self.requirements:
            self.requirements[key] = Requirement(key, "proxy", title)
        return self.requirements[key]

    def observe(self, forwarded: Forwarded) -> None:
        with self._lock:
            self.exchanges += 1
            operation = self.contract.operation(forwarded.method, forwarded.path)
            if operation is None:
                self.unmatched += 1
                return
            self._check(operation, forwarded)

    def _check(self, operation: Operation, forwarded: Forwarded) -> None:
        response = forwarded.response
        curl = [response.curl] if response.curl else []
        label = f"{forwarded.method} {forwarded.path} → {response.status}"
        op = operation.operation_id
        title = f"{operation.method} {operation.template}"
        if forwarded.request_body is not None and forwarded.request_body:
            request = self.requirement(
                f"proxy/{op}/request_schema_conformance", f"{title} — the client's body matches the spec"
            )
            request.checked += 1
            body = parse_json(forwarded.request_body)
            if body is not None:
                for problem in self.contract.request_problems(operation, body):
                    request.fail(f"{label}: the request {_text(problem)}", curl, Outcome.WARNING)
        status = self.requirement(f"proxy/{op}/status_code_conformance", f"{title} — a documented status")
        status.checked += 1
        if self.contract.response_pointer(operation, response.status) is None:
            documented = ", ".join(self.contract.documented_statuses(operation))
            status.fail(f"{label}: {response.status} is not documented ({documented})", curl)
        if forwarded.unchecked:
            self.not_checked[f"the body {forwarded.unchecked}"] += 1
        elif response.content or response.cut or response.status == 204:
            self._response_checks(operation, forwarded, label, curl)
        else:
            self.not_checked["no body"] += 1

    def _response_checks(
        self, operation: Operation, forwarded: Forwarded, label: str, curl: list[str]
    ) -> None:
        response = forwarded.response
        op = operation.operation_id
        title = f"{operation.method} {operation.template}"
        body = parse_json(response.content)
        schema = self.requirement(
            f"proxy/{op}/response_schema_conformance", f"{title} — the body matches the documented schema"
        )
        schema.checked += 1
        if body is not None:
            for problem in self.contract.response_problems(operation, response.status, body):
                schema.fail(f"{label}: the response {_text(problem)}", curl)
        for check in self.dialect.answer_checks:
            self._apply(check, op, title, response, label, curl)
        for batch_id, batch_status in self._batches(body):
            self._transition(batch_id, batch_status, forwarded.sequence, label, curl)
        if self.reads is not None:
            reads = self.requirements[READ_AFTER_WRITE]
            reads.checked += 1
            found = self.reads.observe(forwarded.sequence, op, operation.template, forwarded.path,
                                       response.status, body)
            for finding in found:
                reads.fail(finding, curl)

    def _apply(
        self, check: ResponseCheck, op: str, title: str, response: TargetExchange, label: str, curl: list[str]
    ) -> None:
        requirement = self.requirement(f"proxy/{op}/{check.name}", f"{title} — {check.title}")
        requirement.checked += 1
        for problem in check.problems(response, self.facts):
            requirement.fail(f"{label}: {problem}", curl)

    def _batches(self, body: Any) -> Iterator[tuple[str, str]]:
        """(id, status) of every batch the body shows (where is the profile's), within bounds."""
        for batch_id, status in self.dialect.batch_states(body):
            if (
                isinstance(batch_id, str)
                and len(batch_id) <= MAX_ID
                and isinstance(status, str)
                and status.lower() in self.dialect.lifecycle
            ):
                yield batch_id, status.lower()

    def _transition(self, batch_id: str, status: str, sequence: int, label: str, curl: list[str]) -> None:
        requirement = self.requirements[LIFECYCLE]
        requirement.checked += 1
        before = self.batches.get(batch_id)
        if before is not None and sequence < before.sequence:
            return  # an answer to an older request, overtaken by a newer one: no evidence of order
        if before is not None and status not in reachable(self.dialect.lifecycle, before.status):
            requirement.fail(
                f"batch {batch_id!r} was {before.status!r} ({before.where}) and then {status!r} ({label}); "
                f"from {before.status!r} the documented lifecycle reaches only "
                f"{sorted(reachable(self.dialect.lifecycle, before.status))}",
                curl,
            )
        self.batches[batch_id] = _Seen(sequence, status, label)
        self.batches.move_to_end(batch_id)
        if len(self.batches) > MAX_BATCHES:
            self.batches.popitem(last=False)

    def snapshot(self) -> list[Requirement]:
        """The requirements checked so far; answers left unchecked are a skipped requirement that says
        how many and why (the verdict does not depend on it)."""
        with self._lock:
            shown = [r for r in self.requirements.values() if r.checked or r.outcome != Outcome.PASSED]
            if self.not_checked:
                counts = ", ".join(f"{n} {why}" for why, n in sorted(self.not_checked.items()))
                note = f"skipped: answers whose body was not checked: {counts}"
                title = "Bodies the proxy did not check"
                shown.append(Requirement(NOT_CHECKED, "proxy", title, Outcome.SKIPPED, note=note))
            return shown


def _text(problem: SchemaProblem) -> str:
    return f"{problem.message}\n  checked: {problem.checked}\n  offending part: {problem.offending}"
