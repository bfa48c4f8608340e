"""A kit check and a kit rule added to Truedy's profile from outside `contracts/`, through the
kit's public extension points only (`KitDialect.extended`, `ResponseCheck`, `@rule`,
`KitConfig.dialect`), and run against the sandbox: the kit needs no edit to run them, and their
verdicts are real (each one fails where its target breaks it)."""

from __future__ import annotations

import dataclasses
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from extending import kit_extension
from support import START

from contracts.config import KitConfig, Suite
from contracts.dialects import TRUEDY
from contracts.inprocess import sandbox
from contracts.results import Outcome, RunResult
from contracts.runner import run

SPEC = Path(__file__).resolve().parents[2] / "openapi.json"
RULES: tuple[Suite, ...] = ("rules",)
SENT = kit_extension.header_check("X-Request-Id")  # every answer of the sandbox has it
NEVER_SENT = kit_extension.header_check("X-Never-Sent")
EXTENDED = TRUEDY.extended(checks=(SENT, NEVER_SENT), rule_modules=(kit_extension.__name__,))


@pytest.fixture
def clean_sandbox() -> Iterator[str]:
    with sandbox(start_at=START) as url:
        yield url


def outcomes(result: RunResult) -> dict[str, Outcome]:
    return {r.id: r.outcome for r in result.requirements}


def config(url: str, **changes: object) -> KitConfig:
    given = KitConfig(
        base_url=url, api_key="sk_test_sandbox", spec_path=SPEC, seed=1, quiet=True, dialect=EXTENDED
    )
    return dataclasses.replace(given, **changes)


def test_an_added_rule_and_check_run_with_truedys(clean_sandbox: str) -> None:
    result = run(config(clean_sandbox, suites=RULES))
    found = outcomes(result)
    assert found["rules/extension.deleted_is_gone"] == Outcome.PASSED
    assert found["rules/extension.kept_for_cleanup"] == Outcome.PASSED
    assert found["rules/create.created"] == Outcome.PASSED  # Truedy's own rules still run
    assert found["rules/extension.header.x-request-id"] == Outcome.PASSED
    assert found["probe/extension_header_x_request_id"] == Outcome.PASSED
    # a check that cannot pass here fails on every answer: it is applied, not just listed
    never = next(r for r in result.requirements if r.id == "rules/extension.header.x-never-sent")
    assert never.outcome == Outcome.FAILED and never.checked > 10
    assert found["probe/extension_header_x_never_sent"] == Outcome.FAILED
    # the rule's batch was recorded as created (the spec says POST /batch-calls creates) and removed
    assert result.cleanup.deleted >= 1 and not result.cleanup.problems


def test_the_added_rule_fails_where_the_target_breaks_it() -> None:
    with sandbox(start_at=START, defects=frozenset({"deleted_still_readable"})) as url:
        result = run(config(url, suites=RULES))
    assert outcomes(result)["rules/extension.deleted_is_gone"] == Outcome.FAILED


def test_the_fuzz_suites_run_an_added_check(clean_sandbox: str) -> None:
    result = run(
        config(clean_sandbox, suites=("schema",), include_operations=("list_batch_calls",), max_examples=3)
    )
    found = outcomes(result)
    assert found["schema/list_batch_calls/extension_header_x_request_id"] == Outcome.PASSED
    assert found["schema/list_batch_calls/extension_header_x_never_sent"] == Outcome.FAILED


def test_a_run_of_truedys_own_profile_leaves_the_extension_out(clean_sandbox: str) -> None:
    result = run(
        config(
            clean_sandbox,
            suites=("schema",),
            include_operations=("list_batch_calls",),
            max_examples=3,
            dialect=None,
        )
    )
    assert not [r.id for r in result.requirements if "extension" in r.id]
    assert result.conformant


def test_the_readmes_example_runs_as_written(clean_sandbox: str, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (SPEC.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Your own checks, rules or API", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    my_rules = types.ModuleType("my_rules")  # the example's rule module: one rule of its own
    exec(MY_RULES, my_rules.__dict__)  # noqa: S102 - test code
    monkeypatch.setitem(sys.modules, "my_rules", my_rules)
    monkeypatch.chdir(SPEC.parent)
    example: dict[str, object] = {"URL": clean_sandbox, "KEY": "sk_test_sandbox"}
    exec(code, example)  # noqa: S102 - the README's code, as printed
    found = outcomes(example["result"])  # type: ignore[arg-type]
    assert found["rules/readme.agents_listed"] == Outcome.PASSED
    assert (
        found["rules/response.no_cookies"] == Outcome.PASSED and found["probe/no_cookies"] == Outcome.PASSED
    )


MY_RULES = """
from contracts.rules import RuleContext, rule

@rule("readme.agents_listed", "Agents are listed", "GET /agents answers 200.")
def agents_listed(ctx: RuleContext) -> None:
    ctx.expect(ctx.call("GET", "/agents"), 200, what="listing agents")
"""
