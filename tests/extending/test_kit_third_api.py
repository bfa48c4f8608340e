"""A third API's profile, registered with the kit from outside `contracts/`: the kit runs its
probe, rules, checks, fuzzing, cleanup and proxy with it (a profile object handed in), and nothing
in the kit names that API. The target is a small Starlette app of this folder (`kit_third_api`)
whose switches break it on purpose: the verdicts are real."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from extending.kit_third_api import SPEC, TOKEN, TOKEN_HEADER, Switches, create_app
from extending.kit_third_profile import CALLBACKS

from contracts.config import KitConfig
from contracts.dialects import dialect_of
from contracts.errors import SpecError
from contracts.inprocess import serve
from contracts.proxy import ProxyConfig, build
from contracts.results import Outcome, RunResult
from contracts.runner import run
from contracts.spec import facts, load_document

HERE = Path(__file__).parent
# what an extension may import from the kit: its public extension points and the values they use
PUBLIC = {
    "contracts.checks",
    "contracts.client",
    "contracts.config",
    "contracts.dialects.base",
    "contracts.exchange",
    "contracts.fixtures",
    "contracts.ledger",
    "contracts.rules",
    "contracts.spec",
    "contracts.target",
}


@pytest.fixture
def target() -> Iterator[str]:
    with serve(create_app()) as origin:
        yield origin


def kit_config(origin: str, **changes: object) -> KitConfig:
    return KitConfig(
        base_url=origin,
        api_key=TOKEN,
        spec_path=SPEC,
        seed=1,
        max_examples=5,
        quiet=True,
        dialect=CALLBACKS,
        **changes,
    )


def outcomes(result: RunResult) -> dict[str, Outcome]:
    return {r.id: r.outcome for r in result.requirements}


def test_the_kit_checks_a_third_api_through_a_profile_handed_in(target: str) -> None:
    result = run(kit_config(target, suites=("schema", "rules")))
    found = outcomes(result)
    assert result.conformant, [(r.id, r.failures) for r in result.requirements if r.outcome != Outcome.PASSED]
    for rule in ("callbacks.created", "callbacks.already_requested", "callbacks.unknown"):
        assert found[f"rules/{rule}"] == Outcome.PASSED
    assert found["probe/callbacks_error_envelope"] == Outcome.PASSED
    assert found["rules/response.error_envelope"] == Outcome.PASSED
    assert found["schema/create_callback/callbacks_error_envelope"] == Outcome.PASSED
    assert found["schema/create_callback/positive_data_acceptance"] == Outcome.PASSED
    # what the fuzzers created was recorded (the spec's create_callback, the profile's created_id) and removed
    assert result.cleanup.deleted > 0 and not result.cleanup.problems and not result.cleanup.left


def test_its_rules_and_checks_fail_where_the_target_breaks_them() -> None:
    with serve(create_app(Switches(duplicates_allowed=True, codeless_errors=True))) as origin:
        result = run(kit_config(origin, suites=("rules",)))
    found = outcomes(result)
    assert found["rules/callbacks.already_requested"] == Outcome.FAILED
    assert found["rules/callbacks.unknown"] == Outcome.FAILED  # no error.code to compare
    assert found["rules/response.error_envelope"] == Outcome.FAILED
    assert found["rules/callbacks.created"] == Outcome.PASSED


def test_the_business_422_comes_from_its_spec() -> None:
    spec_facts = facts(load_document(SPEC))
    assert CALLBACKS.expected_statuses("create_callback", spec_facts)[-1] == "422"
    assert CALLBACKS.expected_statuses("get_callback", spec_facts) is None  # its 404 is expected anyway


def test_the_kit_knows_it_only_when_handed_it() -> None:
    document = load_document(SPEC)
    with pytest.raises(SpecError, match="neither"):
        dialect_of(document)
    assert dialect_of(document, known=(CALLBACKS,)) is CALLBACKS


def test_the_proxy_checks_its_traffic_with_the_profile(target: str) -> None:
    proxy = build(ProxyConfig(target=target, spec_path=SPEC, dialect=CALLBACKS))
    with serve(proxy) as url, httpx.Client(base_url=url, headers={TOKEN_HEADER: TOKEN}, timeout=10) as client:
        assert client.post("/callbacks", json={"phone": "+15550100002"}).status_code == 201
        assert client.get("/callbacks/cb_nope").status_code == 404
        assert client.get("/callbacks", headers={TOKEN_HEADER: "wrong"}).status_code == 401
    proxy.drain()
    found = {r.id: r for r in proxy.observations.snapshot()}
    assert found["proxy/create_callback/callbacks_error_envelope"].outcome == Outcome.PASSED
    assert found["proxy/get_callback/callbacks_error_envelope"].checked == 1
    assert found["proxy/lifecycle.transitions"].checked >= 1
    assert TOKEN_HEADER.lower() in proxy.redaction.headers  # its credential is redacted in reproductions


def test_the_extension_uses_only_the_kits_public_extension_points() -> None:
    for path in HERE.glob("kit_third_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("contracts"):
                assert node.module in PUBLIC, f"{path.name} imports {node.module}"
