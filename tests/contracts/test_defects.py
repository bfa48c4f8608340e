"""Proof that the kit finds bugs: each deliberate defect of the sandbox is reported by name.

Each case runs the cheap rules suite plus the Schemathesis phases on the few operations the defect
touches, so the whole table stays within CI's budget; the clean sandbox gets the full run elsewhere.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from contracts.cli import main
from contracts.config import KitConfig, Suite
from contracts.results import Outcome, RunResult
from contracts.runner import run
from mock_server.testing.defects import DEFECTS

SCHEMA_AND_RULES: tuple[Suite, ...] = ("schema", "rules")
RULES: tuple[Suite, ...] = ("rules",)

# defect -> (suites, operations of the schema suite, requirements that must fail)
CASES: dict[str, tuple[tuple[Suite, ...], tuple[str, ...], set[str]]] = {
    "accept_out_of_range": (
        SCHEMA_AND_RULES,
        ("create_batch_call", "update_batch_call"),
        {"rules/validation.max_concurrent_calls", "schema/update_batch_call/negative_data_rejection"},
    ),
    "pause_from_draft": (RULES, (), {"rules/invalid_state.pause_from_draft"}),
    "missing_required_field": (
        SCHEMA_AND_RULES,
        ("create_batch_call",),
        {"schema/create_batch_call/response_schema_conformance"},
    ),
    "wrong_success_status": (
        SCHEMA_AND_RULES,
        ("create_batch_call",),
        {"schema/create_batch_call/status_code_conformance", "rules/create.created"},
    ),
    "deleted_still_readable": (RULES, (), {"rules/lifecycle.delete_draft"}),
    "ignore_limit": (RULES, (), {"rules/pagination.batch_calls", "rules/pagination.agents"}),
    "malformed_error_envelope": (
        SCHEMA_AND_RULES,
        ("get_batch_call",),
        {
            "rules/response.error_envelope",
            "schema/get_batch_call/truedy_error_envelope",
            "schema/get_batch_call/response_schema_conformance",
        },
    ),
    "wrong_error_code": (
        SCHEMA_AND_RULES,
        ("get_batch_call",),
        {
            "rules/not_found.unknown_batch",
            "rules/response.error_envelope",
            "schema/get_batch_call/truedy_error_envelope",
        },
    ),
    "server_error_on_input": (  # the rules suite sends a non-ASCII name on purpose; whether 5 fuzzed
        SCHEMA_AND_RULES,        # examples draw one depends on what the target answered before
        ("create_batch_call",),
        {"rules/create.unicode_name"},
    ),
    "request_id_mismatch": (
        SCHEMA_AND_RULES,
        ("list_agents",),
        {"rules/response.request_id", "schema/list_agents/truedy_request_id"},
    ),
    "broken_counters": (
        SCHEMA_AND_RULES,
        ("create_batch_call",),
        {"rules/invariants.counters", "schema/create_batch_call/truedy_counter_invariants"},
    ),
    "ignored_auth": (
        SCHEMA_AND_RULES,
        ("list_batch_calls",),
        {"rules/auth.missing_key", "schema/list_batch_calls/ignored_auth"},
    ),
    "foreign_ids_visible": (RULES, (), {"rules/isolation.foreign_batch"}),
    "stale_read_after_patch": (RULES, (), {"rules/read_after_write"}),
}


def test_every_defect_has_a_case() -> None:
    assert set(CASES) == set(DEFECTS)
    assert len(DEFECTS) >= 10


def failed(result: RunResult) -> set[str]:
    return {r.id for r in result.requirements if r.outcome == Outcome.FAILED}


@pytest.mark.parametrize("defect", sorted(CASES))
def test_the_defect_is_reported(
    defect: str, contract_sandbox: Callable[..., str], contract_config: KitConfig
) -> None:
    suites, operations, expected = CASES[defect]
    url = contract_sandbox(defects=frozenset({defect}))
    config = dataclasses.replace(
        contract_config,
        base_url=url,
        suites=suites,
        include_operations=operations,
        max_examples=5,
        seed=1,
        other_api_key=None,
    )
    result = run(config)
    assert result.exit_code == 1
    assert expected <= failed(result), (
        f"{defect}: expected {sorted(expected)}, failed {sorted(failed(result))}"
    )


def test_the_cli_names_the_broken_requirement(
    contract_sandbox: Callable[..., str], capsys: pytest.CaptureFixture[str]
) -> None:
    url = contract_sandbox(defects=frozenset({"pause_from_draft"}))
    code = main(["run", "--base-url", url, "--api-key", "sk_test_sandbox", "--suite", "rules", "--quiet"])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAILED  rules/invalid_state.pause_from_draft" in out
    assert "reproduce: curl" in out and "$BATCHCALLS_API_KEY" in out and "sk_test_sandbox" not in out
    # the pause answered `paused` while the next read showed the draft: reads disagree with writes too
    assert "FAILED  rules/read_after_write" in out
    assert "NOT CONFORMANT: 2 of" in out
