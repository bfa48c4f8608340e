"""The documented rules, as deterministic scenarios that work against any compatible server.

A rule is a plain function registered with `@rule` in a module of this package; a dialect's profile
lists its modules (`rule_modules`: Truedy's by theme, Zudu's `zudu_*.py`). It talks to the target
through a `RuleContext` and raises `RuleViolation` (a finding), `SeedDisagreement` (a warning that
cites the seeds) or `RuleSkipped` (not checkable on this target, with the reason). Every response any
rule receives is also checked by the dialect's response checks (`contracts.checks`); those are
requirements of their own.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

from contracts.checks import AnswerChecks
from contracts.client import ApiClient
from contracts.config import Fixtures
from contracts.dialects import TRUEDY, KitDialect
from contracts.errors import KitError, RuleViolation, SeedDisagreement, TargetTimeout, internal_error
from contracts.exchange import TargetExchange
from contracts.ledger import Ledger
from contracts.results import Outcome, Requirement
from contracts.spec import NO_FACTS, SpecFacts
from contracts.target import TargetInfo

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

    @property
    def module(self) -> str:
        return self.run.__module__.rpartition(".")[2]


RULES: list[Rule] = []


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
    other_api_key: str | None = None
    steps: list[TargetExchange] = field(default_factory=list)
    dialect: KitDialect = TRUEDY
    target: TargetInfo | None = None
    other_api_secret: str | None = None  # Zudu: the other workspace's X-API-SECRET

    @property
    def tag(self) -> str:
        return self.ledger.tag

    def fixture(self, name: str) -> str:
        value = getattr(self.fixtures, name)
        assert isinstance(value, str), f"rule ran without its fixture {name}"
        return value

    # requests -------------------------------------------------------------------------------
    def call(self, method: str, path: str, **kwargs: Any) -> TargetExchange:
        exchange = self.client.request(method, path, **kwargs)
        self.steps.append(exchange)
        if method == "POST" and path == self.dialect.batch_path:  # what answered 2xx was created: clean up
            self.ledger.record_response("create_batch_call", exchange.status, exchange.body)
        return exchange

    def server_now(self) -> datetime:
        """The server's clock, from the last response's meta.ts (a sandbox's clock may be simulated)."""
        for exchange in reversed(self.steps):
            body = exchange.body
            meta = body.get("meta") if isinstance(body, dict) else None
            ts = meta.get("ts") if isinstance(meta, dict) else None
            if isinstance(ts, str):
                try:
                    return datetime.fromisoformat(ts.replace("Z", "+00:00"))
                except ValueError:
                    break
        return datetime.now(UTC)

    def at(self, days: float) -> str:
        """An RFC 3339 moment `days` from the server's now (negative: in the past)."""
        moment = self.server_now() + timedelta(days=days)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def batch_body(self, label: str, **fields: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"name": f"{self.tag} {label}", "agent_id": self.fixture("ready_agent")}
        if self.fixtures.contacts_folder:
            body |= {"contact_source": "folder", "contact_folder_id": self.fixtures.contacts_folder}
        return body | fields

    def create_batch(self, label: str, **fields: Any) -> dict[str, Any]:
        """A draft batch (with the fixture folder's contacts); the rule fails if it cannot be created."""
        created = self.call("POST", "/batch-calls", json=self.batch_body(label, **fields))
        self.expect(created, 201, what="creating a valid batch call")
        data = created.data
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            self.fail(f"{created.describe()} without data.id")
        return data

    def scheduled_batch(self, label: str) -> dict[str, Any]:
        """A batch scheduled 30 days ahead: no call is placed before the kit deletes it."""
        batch = self.create_batch(label)
        answer = self.call("POST", f"/batch-calls/{batch['id']}/schedule", json={"scheduled_at": self.at(30)})
        self.expect(answer, 200, what="scheduling a draft batch with contacts")
        data = answer.data
        if not isinstance(data, dict):
            self.fail(f"{answer.describe()} without a batch in data")
        return data

    # verdicts --------------------------------------------------------------------------------
    def fail(self, message: str) -> NoReturn:
        raise RuleViolation(message)

    def expect(self, exchange: TargetExchange, status: int, code: str | None = None, *, what: str) -> None:
        if exchange.status != status or (code is not None and exchange.error_code != code):
            wanted = f"{status}" + (f" {code}" if code else "")
            raise RuleViolation(f"{what}: expected {wanted}, but {exchange.describe()}")

    def expect_status_field(self, exchange: TargetExchange, *allowed: str, what: str) -> None:
        data = exchange.data
        status = data.get("status") if isinstance(data, dict) else None
        if status not in allowed:
            raise RuleViolation(f"{what}: expected status {' or '.join(allowed)}, got {status!r}")

    def disagree(self, message: str, cites: str) -> NoReturn:
        raise SeedDisagreement(message, cites)

    def skip(self, reason: str) -> NoReturn:
        raise RuleSkipped(reason)


def run_rules(
    client: ApiClient,
    fixtures: Fixtures,
    ledger: Ledger,
    other_api_key: str | None,
    progress: Callable[[str], None],
    *,
    dialect: KitDialect = TRUEDY,
    target: TargetInfo | None = None,
    other_api_secret: str | None = None,
    facts: SpecFacts = NO_FACTS,
) -> list[Requirement]:
    for module in dialect.rule_modules:  # registers their rules
        importlib.import_module(f"contracts.rules.{module}")
    checks = AnswerChecks(dialect.checks, facts, "rules", lambda check: check.rules_id)
    client.observers.append(checks)
    results = []
    gone: str | None = None  # set when the target stops answering: the remaining rules are not run
    timeouts = 0  # rules in a row that ended on a timeout
    for entry in [r for r in RULES if r.module in dialect.rule_modules]:
        requirement = Requirement(f"rules/{entry.id}", "rules", entry.title, note=entry.expects)
        missing = [
            n for n in entry.needs if not (other_api_key if n == "other_workspace" else getattr(fixtures, n))
        ]
        if gone:
            requirement.fail(f"not run: {gone}", [], Outcome.ERROR)
        elif missing:
            requirement.outcome = Outcome.SKIPPED
            requirement.note = f"skipped: the target has no {', '.join(missing)} (see --fixtures"
            requirement.note += ", --other-api-key)" if "other_workspace" in missing else ")"
        else:
            context = RuleContext(
                client,
                fixtures,
                ledger,
                other_api_key,
                dialect=dialect,
                target=target,
                other_api_secret=other_api_secret,
            )
            gone, timed_out = _run_one(entry, requirement, context)
            timeouts = timeouts + 1 if timed_out else 0
            if timeouts >= MAX_TIMEOUTS and gone is None:
                gone = f"the target did not answer {MAX_TIMEOUTS} rules in a row within --timeout"
        results.append(requirement)
        progress(f"rules: {requirement.outcome.value.upper():8} {entry.id}")
    client.observers.remove(checks)
    return [*results, *checks.requirements()]


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
