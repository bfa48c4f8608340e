"""The rules suite: documented rules as deterministic scenarios that work against any compatible server.

A rule is a plain function registered with `@rule` in any module; a profile names the modules (or
packages) its rules are in (`KitDialect.rule_modules`: the built-in APIs' are in
`contracts/dialects/<api>/rules/`, one module per theme). It talks to the target through a
`RuleContext` and raises `RuleViolation` (a finding), `SeedDisagreement` (a warning that cites the
seeds) or `RuleSkipped` (not checkable on this target, with the reason). Every response any rule
receives is also checked by the profile's response checks (`contracts.checks`); those are
requirements of their own. Nothing here knows which API it checks: what an API's requests look like
is in its rules and their helpers.
"""

from __future__ import annotations

import importlib
import pkgutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

from contracts.checks import AnswerChecks, ResponseCheck
from contracts.client import ApiClient
from contracts.errors import KitError, RuleViolation, SeedDisagreement, TargetTimeout, internal_error
from contracts.exchange import TargetExchange
from contracts.ledger import Ledger
from contracts.results import Outcome, Requirement
from contracts.spec import NO_FACTS, SpecFacts
from contracts.target import TargetInfo

if TYPE_CHECKING:
    from contracts.fixtures import Fixtures

RuleFunction = Callable[["RuleContext"], None]
MAX_STEPS = 10  # requests shown to reproduce a failed rule
MAX_TIMEOUTS = 3  # rules in a row whose target did not answer in time: the target is taken as gone


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    expects: str  # what the documentation says, in one sentence
    needs: tuple[str, ...]  # Fixtures fields, or "other_workspace"
    run: RuleFunction


RULES: list[Rule] = []  # every rule registered, in the order their modules were imported


class RuleSkipped(Exception):
    """The rule cannot be checked on this target (its message says why): skipped, not a finding."""


def rule(
    rule_id: str, title: str, expects: str, needs: tuple[str, ...] = ()
) -> Callable[[RuleFunction], RuleFunction]:
    def register(function: RuleFunction) -> RuleFunction:
        RULES.append(Rule(rule_id, title, expects, needs, function))
        return function

    return register


@dataclass
class RuleContext:
    client: ApiClient
    fixtures: Fixtures
    ledger: Ledger
    other_api_key: str | None = None  # a second workspace, for the isolation rules
    other_api_secret: str | None = None  # its secret, where the API has one
    steps: list[TargetExchange] = field(default_factory=list)
    target: TargetInfo | None = None

    @property
    def tag(self) -> str:
        return self.ledger.tag

    def fixture(self, name: str) -> str:
        value = self.fixtures.get(name)
        assert isinstance(value, str), f"rule ran without its fixture {name}"
        return value

    # requests -------------------------------------------------------------------------------
    def call(self, method: str, path: str, **kwargs: Any) -> TargetExchange:
        exchange = self.client.request(method, path, **kwargs)
        self.steps.append(exchange)
        # what a creating request answered 2xx to was created: the ledger removes it at the end
        self.ledger.record_request(method, path, exchange)
        return exchange

    # verdicts --------------------------------------------------------------------------------
    def fail(self, message: str) -> NoReturn:
        raise RuleViolation(message)

    def expect(self, exchange: TargetExchange, status: int, code: str | None = None, *, what: str) -> None:
        if exchange.status != status or (code is not None and exchange.error_code != code):
            wanted = f"{status}" + (f" {code}" if code else "")
            raise RuleViolation(f"{what}: expected {wanted}, but {exchange.describe()}")

    def disagree(self, message: str, cites: str) -> NoReturn:
        raise SeedDisagreement(message, cites)

    def skip(self, reason: str) -> NoReturn:
        raise RuleSkipped(reason)


def rules_of(modules: Sequence[str]) -> list[Rule]:
    """The rules of these modules (dotted names; a package stands for every module in it), importing
    them: in the order named, a package's modules by name, each module's rules as written."""
    order = {name: index for index, name in enumerate(_expanded(modules))}
    found = [rule for rule in RULES if rule.run.__module__ in order]
    return sorted(found, key=lambda rule: order[rule.run.__module__])  # stable: as written


def _expanded(modules: Sequence[str]) -> Iterator[str]:
    for name in modules:
        module = importlib.import_module(name)  # registers its rules
        yield name
        for info in sorted(pkgutil.iter_modules(getattr(module, "__path__", [])), key=lambda i: i.name):
            yield from _expanded([f"{name}.{info.name}"])


def run_rules(
    client: ApiClient,
    fixtures: Fixtures,
    ledger: Ledger,
    other_api_key: str | None,
    progress: Callable[[str], None],
    *,
    rules: Sequence[Rule],
    checks: tuple[ResponseCheck, ...],
    target: TargetInfo | None = None,
    other_api_secret: str | None = None,
    facts: SpecFacts = NO_FACTS,
) -> list[Requirement]:
    """Run `rules` in order; every answer is also checked by `checks`."""
    answer_checks = AnswerChecks(checks, facts, "rules", lambda check: check.rules_id)
    client.observers.append(answer_checks)
    results = []
    gone: str | None = None  # set when the target stops answering: the remaining rules are not run
    timeouts = 0  # rules in a row that ended on a timeout
    for entry in rules:
        requirement = Requirement(f"rules/{entry.id}", "rules", entry.title, note=entry.expects)
        missing = [
            n for n in entry.needs if not (other_api_key if n == "other_workspace" else fixtures.get(n))
        ]
        if gone:
            requirement.fail(f"not run: {gone}", [], Outcome.ERROR)
        elif missing:
            requirement.outcome = Outcome.SKIPPED
            requirement.note = f"skipped: the target has no {', '.join(missing)} (see --fixtures"
            requirement.note += ", --other-api-key)" if "other_workspace" in missing else ")"
        else:
            context = RuleContext(
                client, fixtures, ledger, other_api_key, other_api_secret=other_api_secret, target=target
            )
            gone, timed_out = _run_one(entry, requirement, context)
            timeouts = timeouts + 1 if timed_out else 0
            if timeouts >= MAX_TIMEOUTS and gone is None:
                gone = f"the target did not answer {MAX_TIMEOUTS} rules in a row within --timeout"
        results.append(requirement)
        progress(f"rules: {requirement.outcome.value.upper():8} {entry.id}")
    client.observers.remove(answer_checks)
    return [*results, *answer_checks.requirements()]


def _run_one(entry: Rule, requirement: Requirement, context: RuleContext) -> tuple[str | None, bool]:
    """Run one rule; returns why the target is gone when it stopped answering altogether, and
    whether the rule ended on a timeout."""
    started = time.monotonic()
    requirement.checked = 1
    try:
        entry.run(context)
    except RuleSkipped as skipped:
        requirement.outcome = Outcome.SKIPPED
        requirement.note = f"skipped: {skipped}"
    except SeedDisagreement as warning:
        requirement.fail(f"{warning} — {warning.cites}", _steps(context), Outcome.WARNING)
    except RuleViolation as violation:
        requirement.fail(str(violation), _steps(context))
    except TargetTimeout as error:  # one slow answer: the next rules may still run
        requirement.fail(f"could not check: {error}", _steps(context), Outcome.ERROR)
        return None, True
    except KitError as error:
        requirement.fail(f"could not check: {error}", _steps(context), Outcome.ERROR)
        return f"the target stopped answering ({error})", False
    except Exception as error:  # noqa: BLE001 - a bug of the kit ends this rule, not the run
        message = internal_error(error, "the other rules went on")
        requirement.fail(f"could not check: {message}", _steps(context), Outcome.ERROR)
    finally:
        requirement.elapsed = time.monotonic() - started
    return None, False


def _steps(context: RuleContext) -> list[str]:
    return [exchange.curl for exchange in context.steps[-MAX_STEPS:]]
