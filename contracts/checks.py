"""Rules every response obeys: `ResponseCheck`, the checks of every API, and how they are applied.

Each `ResponseCheck` is a plain function of a `TargetExchange` and what the spec documents
(`SpecFacts`):
- the schema and stateful suites run it as the Schemathesis check of the same name (one marked
  `builtin` is Schemathesis' own, which the fuzz suites run instead); `schemathesis_names` registers
  a profile's checks with Schemathesis the first time a run needs them;
- the probe, the rules suite and the proxy apply it to every answer they see (`AnswerChecks`), as
  requirement `rules_id`.
A profile (`contracts.dialects`) lists its API's own checks; `EVERY_API` here are applied to every
API whose profile does not opt out: a JSON `Content-Type` on every body, no 5xx, and every answer
whole within the kit's bounds (`contracts.body`: at most MAX_ANSWER bytes, complete within
--timeout, in an encoding the kit asked for and that decodes).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import schemathesis

from contracts.body import CUT_ATTRIBUTE, MAX_ANSWER
from contracts.errors import KitError, ResponseCheckFailure
from contracts.exchange import TargetExchange, parse_json
from contracts.results import Requirement
from contracts.spec import NO_FACTS, SpecFacts

JSON_MEDIA = "application/json"
Problems = Callable[[TargetExchange, SpecFacts], list[str]]


@dataclass(frozen=True, slots=True)
class ResponseCheck:
    name: str  # the Schemathesis check's name
    rules_id: str  # the requirement of the probe, the rules suite and the proxy
    title: str  # what it requires, in one sentence
    problems: Problems
    builtin: bool = False  # Schemathesis ships a check of this name: the fuzz suites run theirs


# What every API obeys ------------------------------------------------------------------------------
def complete_answer_problems(exchange: TargetExchange, facts: SpecFacts) -> list[str]:
    """The reader stopped before the end of the answer (`TargetExchange.cut` says why)."""
    return [exchange.cut] if exchange.cut else []


def content_type_problems(exchange: TargetExchange, facts: SpecFacts) -> list[str]:
    """Every body the spec documents is application/json: the Content-Type must say so."""
    if exchange.method.upper() == "HEAD" or not exchange.content:
        return []
    given = exchange.headers.get("content-type", "")
    media = given.split(";")[0].strip().lower()
    if media == JSON_MEDIA or (media.startswith("application/") and media.endswith("+json")):
        return []
    what = "a JSON body" if parse_json(exchange.content) is not None else "a body"
    label = f"Content-Type {given!r}" if given else "no Content-Type"
    return [f"{what} with {label}; the spec documents {JSON_MEDIA}"]


def server_error_problems(exchange: TargetExchange, facts: SpecFacts) -> list[str]:
    return [f"a server error {exchange.status}"] if exchange.status >= 500 else []


# The checks of every API ---------------------------------------------------------------------------
CONTENT_TYPE = ResponseCheck(
    "content_type_conformance",
    "rules/response.content_type_conformance",
    f"Every body is sent with Content-Type {JSON_MEDIA}, as documented",
    content_type_problems,
    builtin=True,
)
NO_SERVER_ERROR = ResponseCheck(
    "not_a_server_error",
    "rules/response.not_a_server_error",
    "No request the kit sends gets a 5xx",
    server_error_problems,
    builtin=True,
)
COMPLETE_ANSWER = ResponseCheck(
    "complete_answer",
    "rules/response.complete_answer",
    f"Every answer is whole: at most {MAX_ANSWER // 2**20} MiB, complete within --timeout, and decodable "
    "(a Content-Encoding the client asked for, valid)",
    complete_answer_problems,
)
# applied to every API whose profile does not opt out (`KitDialect.every_api_checks`)
EVERY_API: tuple[ResponseCheck, ...] = (COMPLETE_ANSWER, CONTENT_TYPE, NO_SERVER_ERROR)


class AnswerChecks:
    """Applies checks to every answer it is shown: one requirement per check, `id_of` names it."""

    def __init__(
        self,
        checks: tuple[ResponseCheck, ...],
        facts: SpecFacts,
        suite: str,
        id_of: Callable[[ResponseCheck], str],
    ) -> None:
        self.facts = facts
        self.checks = [(check, Requirement(id_of(check), suite, check.title)) for check in checks]

    def __call__(self, exchange: TargetExchange) -> None:
        for check, requirement in self.checks:
            requirement.checked += 1
            for problem in check.problems(exchange, self.facts):
                where = f"{exchange.method} {exchange.path} → {exchange.status}"
                requirement.fail(f"{where}: {problem}", [exchange.curl] if exchange.curl else [])

    def requirements(self) -> list[Requirement]:
        return [requirement for _, requirement in self.checks]


class _Facts:
    """What the spec of the run in progress documents: Schemathesis calls checks from its global
    registry, so they look the run up here."""

    active: SpecFacts = NO_FACTS
    lock = threading.Lock()


@contextmanager
def checking_against(facts: SpecFacts) -> Iterator[None]:
    with _Facts.lock:
        _Facts.active = facts
        try:
            yield
        finally:
            _Facts.active = NO_FACTS


# name -> the check Schemathesis runs under that name (its registry is global: one check a name)
_REGISTERED: dict[str, ResponseCheck] = {}
_REGISTERING = threading.Lock()


def schemathesis_names(checks: Iterable[ResponseCheck]) -> set[str]:
    """The Schemathesis names of `checks`, each registered with Schemathesis the first time (builtin
    ones are Schemathesis' own). Raises KitError for a name already taken by another check."""
    names = set()
    with _REGISTERING:
        for check in checks:
            names.add(check.name)
            if check.builtin:
                continue
            known = _REGISTERED.get(check.name)
            if known is None:
                _as_schemathesis_check(check)
                _REGISTERED[check.name] = check
            elif known != check:
                raise KitError(f"two response checks are named {check.name!r}: give each its own name")
    return names


def registered_names() -> set[str]:
    """Every check registered with Schemathesis so far: a run switches off those not its profile's."""
    with _REGISTERING:
        return set(_REGISTERED)


def _as_schemathesis_check(check: ResponseCheck) -> None:
    def run(
        ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
    ) -> bool | None:
        headers = {name.lower(): values[0] for name, values in response.headers.items() if values}
        cut = str(getattr(response.request, CUT_ATTRIBUTE, ""))  # set by fuzz's bounded reading
        exchange = TargetExchange(
            case.method, case.path, response.status_code, headers, response.content, cut=cut
        )
        problems = check.problems(exchange, _Facts.active)
        if problems:
            raise ResponseCheckFailure("; ".join(problems))
        return None

    run.__name__ = run.__qualname__ = check.name
    schemathesis.check(run)
