"""pytest plugin (entry point `batchcalls_contract`): run the contract suites from your own tests.

    pytest --contract-base-url https://sandbox.example.com/api/public/v1 --contract-api-key sk_…

    from contracts.pytest_plugin import assert_conformant

    def test_conformance(contract_run):
        assert_conformant(contract_run(suites=("rules",)))

`assert_conformant` fails the test with every finding and the curl command that reproduces it.
Without `--contract-base-url` the fixtures start the sandbox in this process (127.0.0.1, a free
port). A missing option or a target the kit cannot check is one line naming the pytest option. The
plugin only adds options and fixtures: it does nothing, and imports nothing heavy, in test sessions
that do not ask for them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from contracts.config import KitConfig
    from contracts.results import RunResult

ContractRun = Callable[..., "RunResult"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contract", "Batch Calls contract kit")
    group.addoption(
        "--contract-base-url",
        default=None,
        help="API base URL of the server under test (default: an in-process sandbox)",
    )
    group.addoption(
        "--contract-api-key",
        default=None,
        help="its API key (default: $BATCHCALLS_API_KEY, or the sandbox's key)",
    )
    group.addoption(
        "--contract-api-secret",
        default=None,
        help="its secret, for an API with a key and a secret (Zudu's X-API-SECRET; default: "
        "$BATCHCALLS_API_SECRET, or the sandbox's)",
    )
    group.addoption("--contract-other-api-key", default=None, help="a second workspace's key")
    group.addoption("--contract-other-api-secret", default=None, help="the second workspace's secret")
    group.addoption("--contract-fixtures", default=None, help="YAML with the target's fixture ids")
    group.addoption("--contract-spec", default=None, help="the OpenAPI document (default: openapi.json)")
    group.addoption("--contract-max-examples", type=int, default=10, help="fuzzing cases per operation")
    group.addoption("--contract-seed", type=int, default=0, help="seed of the generated data")


def contract_summary(result: RunResult) -> str:
    """The console summary, for assertion messages."""
    from contracts.report.console import summary

    return summary(result, max_listed=len(result.requirements))


def assert_conformant(result: RunResult) -> None:
    """Fail the test (no traceback) with the verdict, every finding and its curl commands."""
    if not result.conformant:
        pytest.fail(contract_summary(result), pytrace=False)


def _missing_credentials(config: pytest.Config) -> str | None:
    """What a foreign target (--contract-base-url) lacks, in the words of the pytest options."""
    from contracts.curl import API_KEY_ENV, API_SECRET_ENV
    from contracts.dialects import dialect_of
    from contracts.errors import KitError
    from contracts.spec import default_spec_path, load_document

    option = config.getoption
    if option("--contract-base-url") is None:
        return None
    spec = option("--contract-spec")
    try:
        dialect = dialect_of(load_document(Path(spec) if spec else default_spec_path()))
    except KitError as error:
        return f"--contract-spec: {error}"
    if not (option("--contract-api-key") or os.environ.get(API_KEY_ENV)):
        needs = (
            "--contract-api-key and --contract-api-secret" if dialect.needs_secret else "--contract-api-key"
        )
        return f"--contract-base-url needs {needs} (or ${API_KEY_ENV})"
    if dialect.needs_secret and not (option("--contract-api-secret") or os.environ.get(API_SECRET_ENV)):
        return (
            f"--contract-base-url with a spec of {dialect.api} needs --contract-api-secret "
            f"(or ${API_SECRET_ENV}): its {dialect.secret_name}"
        )
    return None


def pytest_configure(config: pytest.Config) -> None:
    problem = _missing_credentials(config)
    if problem:
        raise pytest.UsageError(problem)


@pytest.fixture(scope="session")
def contract_base_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The target: --contract-base-url, or the origin of a sandbox started for the session (the kit
    finds each API under it: at the spec's server path, else at the root)."""
    given = request.config.getoption("--contract-base-url")
    if given:
        yield given
        return
    from contracts.inprocess import API_BASE_PATH, sandbox

    with sandbox() as base_url:
        yield base_url.removesuffix(API_BASE_PATH)


@pytest.fixture
def contract_sandbox() -> Iterator[Callable[..., str]]:
    """Start sandboxes with given Settings (e.g. `defects=frozenset({"broken_counters"})`); stopped after."""
    from contextlib import ExitStack

    from contracts.inprocess import sandbox

    with ExitStack() as stack:
        yield lambda **settings: stack.enter_context(sandbox(**settings))


@pytest.fixture(scope="session")
def contract_config(request: pytest.FixtureRequest, contract_base_url: str) -> KitConfig:
    from contracts.config import KitConfig
    from contracts.curl import API_KEY_ENV, API_SECRET_ENV
    from contracts.dialects import dialect_of
    from contracts.fixtures import load_fixtures
    from contracts.spec import default_spec_path, load_document

    option = request.config.getoption
    spec_path = Path(option("--contract-spec")) if option("--contract-spec") else default_spec_path()
    dialect = dialect_of(load_document(spec_path))
    base_url = contract_base_url
    api_key = option("--contract-api-key") or os.environ.get(API_KEY_ENV)
    api_secret = option("--contract-api-secret") or os.environ.get(API_SECRET_ENV)
    if api_key is None or (dialect.needs_secret and api_secret is None):  # own targets: pytest_configure
        api_key, api_secret = dialect.sandbox_credentials
    fixtures_file = option("--contract-fixtures")
    return KitConfig(
        base_url=base_url,
        api_key=api_key,
        api_secret=api_secret,
        other_api_key=option("--contract-other-api-key"),
        other_api_secret=option("--contract-other-api-secret"),
        spec_path=spec_path,
        fixtures=load_fixtures(Path(fixtures_file)) if fixtures_file else None,
        max_examples=option("--contract-max-examples"),
        seed=option("--contract-seed"),
        quiet=True,
    )


@pytest.fixture(scope="session")
def contract_run(contract_config: KitConfig) -> ContractRun:
    """`contract_run(**overrides)` runs the kit with the session's config changed by `overrides`."""
    import dataclasses

    from contracts.errors import KitError
    from contracts.runner import run

    def run_with(**overrides: Any) -> RunResult:
        config = dataclasses.replace(contract_config, **overrides)
        if "run_id" not in overrides:
            from contracts.config import new_run_id

            config = dataclasses.replace(config, run_id=new_run_id())
        try:
            return run(config)
        except KitError as error:  # the target cannot be checked: one line, not the fixture's source
            pytest.fail(
                f"batchcalls-contract: {error} (target: --contract-base-url {config.base_url})", False
            )

    return run_with
