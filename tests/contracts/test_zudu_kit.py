"""The kit against Zudu-compatible targets (openapi.zudu.json): the dialect comes from the spec, the
clean sandbox has zero findings, each deliberate Zudu defect is reported by name, and where Zudu's
pages disagree the kit warns.

The sandbox serves Zudu's API at its root, so the base URL is the origin. Defect cases run the
rules suite (well under a second) plus the Schemathesis phases on the one operation the defect
touches, against a manual-clock sandbox so the completed-batch rule runs too.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest

from contracts.cli import main
from contracts.config import KitConfig, Suite
from contracts.dialects import TRUEDY, ZUDU, dialect_of
from contracts.dialects.zudu.checks import zudu_counter_problems, zudu_envelope_problems
from contracts.errors import FixturesError, SpecError
from contracts.fixtures import Fixtures, load_fixtures
from contracts.inprocess import API_BASE_PATH, serve
from contracts.results import Outcome, RunResult
from contracts.runner import run
from contracts.spec import default_spec_path, load_document
from mock_server.testing.defects import ZUDU_DEFECTS

ROOT = Path(__file__).resolve().parents[2]
ZUDU_SPEC = ROOT / "openapi.zudu.json"
KEY, SECRET = "zk_test_sandbox", "zs_test_sandbox"
SCHEMA_AND_RULES: tuple[Suite, ...] = ("schema", "rules")
RULES: tuple[Suite, ...] = ("rules",)

# defect -> (suites, operations of the schema suite, requirements that must fail)
CASES: dict[str, tuple[tuple[Suite, ...], tuple[str, ...], set[str]]] = {
    "zudu_execute_twice": (RULES, (), {"rules/execute.twice"}),
    "zudu_delete_sent": (RULES, (), {"rules/delete.sent_refused"}),
    "zudu_missing_batch_call_id": (
        SCHEMA_AND_RULES,
        ("create_batch_call",),
        {"rules/create.created", "schema/create_batch_call/response_schema_conformance"},
    ),
    "zudu_wrong_envelope_status": (
        SCHEMA_AND_RULES,
        ("list_batch_calls",),
        {
            "rules/response.envelope",
            "schema/list_batch_calls/zudu_envelope",
            "schema/list_batch_calls/response_schema_conformance",
        },
    ),
    "zudu_ignore_limit": (RULES, (), {"rules/pagination.batch_calls", "rules/tasks.listing"}),
    "zudu_broken_counters": (
        SCHEMA_AND_RULES,
        ("create_batch_call",),
        {"rules/invariants.counters", "schema/create_batch_call/zudu_counter_invariants"},
    ),
    "zudu_auth_ignores_secret": (
        RULES,
        (),
        {"rules/auth.missing_credentials", "rules/auth.invalid_credentials"},
    ),
    "zudu_create_200": (
        SCHEMA_AND_RULES,
        ("create_batch_call",),
        {"rules/create.created", "schema/create_batch_call/status_code_conformance"},
    ),
    "zudu_patch_completed": (RULES, (), {"rules/update.completed_refused"}),
}


def origin_of(contract_sandbox: Callable[..., str], **settings: Any) -> str:
    return contract_sandbox(**settings).removesuffix(API_BASE_PATH)


def zudu_config(base_url: str, **overrides: Any) -> KitConfig:
    values: dict[str, Any] = {
        "base_url": base_url,
        "api_key": KEY,
        "api_secret": SECRET,
        "spec_path": ZUDU_SPEC,
        "seed": 1,
        "max_examples": 5,
        "quiet": True,
    }
    return KitConfig(**(values | overrides))


def failed(result: RunResult) -> set[str]:
    return {r.id for r in result.requirements if r.outcome == Outcome.FAILED}


# the dialect and the response checks, without a server ------------------------------------------
def test_the_dialect_comes_from_the_specs_security_schemes() -> None:
    assert dialect_of(load_document(default_spec_path())) is TRUEDY
    zudu = load_document(ZUDU_SPEC)
    assert dialect_of(zudu) is ZUDU
    assert ZUDU.auth_headers(KEY, SECRET) == {"X-API-KEY": KEY, "X-API-SECRET": SECRET}
    assert ZUDU.auth_headers(None, SECRET) == {"X-API-SECRET": SECRET}
    with pytest.raises(SpecError, match="neither an HTTP bearer scheme"):
        dialect_of({**zudu, "components": {**zudu["components"], "securitySchemes": {}}})


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, {"message": "ok", "status": "success", "error": None, "data": None}, None),
        (404, {"message": "Not found", "status": "error", "error": "Batch call b not found"}, None),
        (200, {"message": "ok", "status": "ok", "error": None, "data": {}}, 'must be "success"'),
        (200, {"message": "ok", "status": "success", "data": {}}, "'error' must be present and null"),
        (400, {"message": "Bad", "status": "error", "error": ""}, "non-empty string"),
        (404, {"error": {"code": "not_found"}}, "'message' must be"),
        (422, {"message": "V", "status": "error", "error": "x", "errors": [{"field": 1}]}, "every entry"),
    ],
)
def test_zudu_envelopes(status: int, body: object, expected: str | None) -> None:
    problems = zudu_envelope_problems("GET", status, {}, orjson.dumps(body))
    if expected is None:
        assert problems == []
    else:
        assert any(expected in p for p in problems), problems


def test_zudu_counters() -> None:
    batch = {
        "batch_call_id": "b",
        "total": 3,
        "total_task_count": 3,
        "sent": 2,
        "picked_up": 1,
        "completed": 1,
    }
    assert zudu_counter_problems(orjson.dumps({"data": batch})) == []
    page = {"data": {"batch_calls": [batch | {"picked_up": 2}, batch | {"sent": 4, "total_task_count": 2}]}}
    problems = zudu_counter_problems(orjson.dumps(page))
    assert len(problems) == 3, problems  # picked_up > completed; sent > total; total != total_task_count


def test_zudu_fixtures_file(tmp_path: Path) -> None:
    given = tmp_path / "fixtures.yaml"
    given.write_text(
        "zudu:\n  from_number: '+14155550100'\n  agent_id: null\n"
        "  to_numbers: ['+12135550101', '+12135550102', '+12135550103']\n  completed_batch: batch_call_x\n",
        encoding="utf-8",
    )
    fixtures = load_fixtures(given)
    assert (fixtures.from_number, fixtures.zudu_agent, fixtures.completed_batch) == (
        "+14155550100",
        None,
        "batch_call_x",
    )
    assert fixtures.to_numbers[0] == "+12135550101" and fixtures.ready_agent == Fixtures().ready_agent
    given.write_text("zudu:\n  to_numbers: ['+12135550101']\n", encoding="utf-8")
    with pytest.raises(FixturesError, match="at least three"):
        load_fixtures(given)


def test_a_zudu_spec_needs_the_secret(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--spec", str(ZUDU_SPEC), "--base-url", "http://127.0.0.1:9", "--api-key", KEY])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0 and "--api-secret" in err and "Traceback" not in err


# against the sandbox ------------------------------------------------------------------------------
def test_every_suite_is_clean_against_the_zudu_sandbox(
    contract_sandbox: Callable[..., str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    origin = origin_of(contract_sandbox, clock="manual")
    junit = tmp_path / "junit.xml"
    code = main(
        [
            "run",
            "--spec",
            str(ZUDU_SPEC),
            "--base-url",
            origin,
            "--api-key",
            KEY,
            "--api-secret",
            SECRET,
            "--seed",
            "7",
            "--max-examples",
            "5",
            "--junit-xml",
            str(junit),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "CONFORMANT" in out and "NOT CONFORMANT" not in out
    assert "Zudu's API" in out and "advances the sandbox's manual clock" in out  # the plan
    suites = {s.get("name"): s for s in ET.parse(junit).getroot()}
    assert set(suites) == {"contract.probe", "contract.schema", "contract.stateful", "contract.rules"}
    assert all(s.get("failures") == "0" and s.get("errors") == "0" for s in suites.values())
    rules = {case.get("name"): case for case in suites["contract.rules"]}
    assert {
        "execute.twice",
        "delete.sent_refused",
        "pagination.batch_calls",
        "search.filters",
        "auth.invalid_credentials",
        "isolation.foreign_batch",
        "response.envelope",
        "invariants.counters",
        "read_after_write",  # every read agreed with the writes before it (the correct sandbox)
        "consistency.reads_after_writes",
    } <= set(rules)
    assert rules["update.completed_refused"].find("skipped") is None  # the kit drove the clock
    schema = {str(case.get("name")) for case in suites["contract.schema"]}
    assert any("zudu_envelope" in name for name in schema) and not any("truedy_" in n for n in schema)


def test_a_real_clock_skips_the_completed_rule_with_a_reason(contract_sandbox: Callable[..., str]) -> None:
    result = run(zudu_config(origin_of(contract_sandbox), suites=RULES))
    assert result.exit_code == 0, result.verdict()
    skipped = {r.id: r.note for r in result.with_outcome(Outcome.SKIPPED)}
    assert set(skipped) == {"rules/update.completed_refused"}
    assert "--clock manual" in skipped["rules/update.completed_refused"]
    assert any("sent" in left for left in result.cleanup.left)  # Zudu cannot delete a sent batch


@contextmanager
def all_at_once(app: Any) -> Iterator[Any]:
    """The app, except that GET /batch-call/list without a limit answers every batch (limit 100)."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        query = scope.get("query_string", b"")
        if scope["type"] == "http" and scope["path"] == "/batch-call/list" and b"limit=" not in query:
            scope = {**scope, "query_string": query + (b"&" if query else b"") + b"limit=100"}
        await app(scope, receive, send)

    yield wrapped


def test_where_zudus_pages_disagree_the_kit_warns() -> None:
    from mock_server.app import create_app
    from mock_server.settings import Settings

    with all_at_once(create_app(Settings(clock="manual"))) as app, serve(app) as origin:
        result = run(zudu_config(origin, suites=RULES))
    warnings = {r.id: r for r in result.with_outcome(Outcome.WARNING)}
    assert set(warnings) == {"rules/pagination.default_limit"}
    message = warnings["rules/pagination.default_limit"].evidence[0].message
    assert "default: 20" in message and "spec-notes.md" in message
    assert result.exit_code == 0 and "(1 warnings)" in result.verdict()


def test_every_zudu_defect_has_a_case() -> None:
    assert set(CASES) == set(ZUDU_DEFECTS)
    assert len(ZUDU_DEFECTS) >= 6


@pytest.mark.parametrize("defect", sorted(CASES))
def test_the_zudu_defect_is_reported(defect: str, contract_sandbox: Callable[..., str]) -> None:
    suites, operations, expected = CASES[defect]
    origin = origin_of(contract_sandbox, clock="manual", defects=frozenset({defect}))
    config = zudu_config(origin, suites=suites, include_operations=operations)
    result = run(config)
    assert result.exit_code == 1
    assert expected <= failed(result), (
        f"{defect}: expected {sorted(expected)}, failed {sorted(failed(result))}"
    )


def test_the_cli_names_the_broken_zudu_requirement(
    contract_sandbox: Callable[..., str], capsys: pytest.CaptureFixture[str]
) -> None:
    origin = origin_of(contract_sandbox, defects=frozenset({"zudu_execute_twice"}))
    args = ["run", "--spec", str(ZUDU_SPEC), "--base-url", origin, "--suite", "rules", "--quiet"]
    code = main([*args, "--api-key", KEY, "--api-secret", SECRET])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAILED  rules/execute.twice" in out
    assert "reproduce: curl" in out and "$BATCHCALLS_API_SECRET" in out
    assert KEY not in out and SECRET not in out
    assert "NOT CONFORMANT: 1 of" in out


def test_truedy_defects_leave_zudu_alone_and_back(contract_sandbox: Callable[..., str]) -> None:
    """Defect names are per dialect: a Truedy defect does not break Zudu's API, nor a Zudu one Truedy's."""
    url = contract_sandbox(clock="manual", defects=frozenset({"pause_from_draft", "zudu_execute_twice"}))
    zudu = run(zudu_config(url.removesuffix(API_BASE_PATH), suites=RULES))
    assert failed(zudu) == {"rules/execute.twice"}
    truedy = run(
        dataclasses.replace(
            zudu_config(url, suites=RULES),
            api_key="sk_test_sandbox",
            api_secret=None,
            spec_path=default_spec_path(),
        )
    )
    assert "rules/invalid_state.pause_from_draft" in failed(truedy)
    assert not any("execute" in r for r in failed(truedy))


def test_a_users_pytest_session_checks_zudu_in_process(tmp_path: Path) -> None:
    (tmp_path / "test_partner.py").write_text(
        "from contracts.pytest_plugin import contract_summary\n\n\n"
        "def test_zudu_rules(contract_run):\n"
        "    result = contract_run(suites=('rules',))\n"
        "    assert result.conformant, contract_summary(result)\n"
        "    assert any(r.id == 'rules/execute.twice' for r in result.requirements)\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATCHCALLS_")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--contract-spec", str(ZUDU_SPEC)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
