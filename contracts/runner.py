"""One run: check the target is the API, say what will be created, run the suites, clean up."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from contracts.checks import AnswerChecks
from contracts.client import ApiClient
from contracts.config import KitConfig
from contracts.consistency import ExchangeObserver
from contracts.coverage import CoverageRecorder
from contracts.curl import secret_variables
from contracts.dialects import KitDialect, dialect_of
from contracts.errors import KitError, UsageError, internal_error
from contracts.fixtures import Fixtures
from contracts.fuzz import SERVER_GONE, run_engine
from contracts.ledger import Ledger
from contracts.proxy.contract import Contract
from contracts.results import Requirement, RunResult
from contracts.rules import rules_of, run_rules
from contracts.spec import SpecFacts, candidate_base_urls, facts, load_document, operations, select
from contracts.target import TargetInfo, check_base_url, probe, sandbox_workspace

Progress = Callable[[str], None]


def _silent(line: str) -> None:
    pass


def probe_requirements(info: TargetInfo, dialect: KitDialect, spec_facts: SpecFacts) -> list[Requirement]:
    """The probe's answer, checked like every other: a 5xx or a wrong content type there is a finding."""
    checks = AnswerChecks(dialect.answer_checks, spec_facts, "probe", lambda check: f"probe/{check.name}")
    if info.probe is not None:
        checks(info.probe)
    return checks.requirements()


def run(config: KitConfig, progress: Progress = _silent) -> RunResult:
    """Raises KitError when the kit cannot start (bad spec, target not there); otherwise a result."""
    started = time.monotonic()
    check_base_url(config.base_url)
    document = load_document(config.spec_path)
    dialect = config.dialect or dialect_of(document)
    if dialect.needs_secret and not config.api_secret:
        raise UsageError(
            f"{config.spec_path.name} is {dialect.api}: give the {dialect.secret_name} with --api-secret"
        )
    selected = select(document, config.include_tags, config.include_operations)
    info = probe(
        candidate_base_urls(config.base_url, document),
        config.api_key,
        config.timeout,
        api_secret=config.api_secret,
        dialect=dialect,
        wait=config.wait,
        secrets=secret_variables(config.api_key, config.api_secret),
    )
    fixtures = (config.fixtures or Fixtures()).for_profile(dialect)
    config = dataclasses.replace(config, base_url=info.base_url, fixtures=fixtures)
    spec_facts = facts(document)
    other_key, other_secret = config.other_api_key, config.other_api_secret
    source = "a second workspace from --other-api-key"
    if dialect.needs_secret and other_key and not other_secret:
        other_key, source = None, "skipped: --other-api-key needs --other-api-secret"
    elif other_key is None and "rules" in config.suites:
        workspace = sandbox_workspace(info.origin, config.timeout) if info.is_sandbox else None
        pair = dialect.workspace_credentials(workspace) if workspace else None
        other_key, other_secret = pair if pair else (None, None)
        source = (
            "a second workspace from the sandbox's control API (POST /_mock/workspaces)"
            if other_key
            else "skipped: no second workspace (give --other-api-key"
            + (" and --other-api-secret)" if dialect.needs_secret else ")")
        )
    for line in dialect.plan(config, info, fixtures, source):
        progress(line)

    result = RunResult(config.run_id, info.base_url, config.seed, ("probe", *config.suites))
    result.requirements += probe_requirements(info, dialect, spec_facts)
    creating = {
        (op.method, op.path): op.operation_id
        for op in operations(document)
        if op.operation_id in dialect.resources.creates
    }
    ledger = Ledger(config.tag, dialect.resources, dialect.auth_headers, creating)
    client = ApiClient(
        info.base_url,
        config.api_key,
        config.timeout,
        other_key,
        api_secret=config.api_secret,
        other_api_secret=other_secret,
        auth=dialect.auth_headers,
    )
    router = Contract(document)
    coverage = CoverageRecorder(document, selected, router)
    reads = ExchangeObserver(router, dialect, "rules")
    client.observers += [coverage.observe, reads]
    try:
        fuzz_suites = tuple(s for s in config.suites if s in ("schema", "stateful"))
        if fuzz_suites:
            known_ids = dialect.discover_ids(client, fixtures)
            requirements, errors, elapsed, cases = run_engine(
                config, document, selected, fuzz_suites, ledger, progress, known_ids, dialect, spec_facts,
                coverage.record,
            )
            result.requirements += requirements
            result.errors += errors
            result.suite_elapsed |= elapsed
            result.suite_cases |= cases
        if "rules" in config.suites and SERVER_GONE in result.errors:
            result.errors.append("the rules suite did not run: the target is gone")
        elif "rules" in config.suites:
            rules_started = time.monotonic()
            result.requirements += run_rules(
                client,
                fixtures,
                ledger,
                other_key,
                progress,
                rules=rules_of(dialect.rule_modules),
                checks=dialect.answer_checks,
                target=info,
                other_api_secret=other_secret,
                facts=spec_facts,
            )
            if dialect.read_after_write is not None:
                result.requirements.append(reads.requirement)
            result.suite_elapsed["rules"] = time.monotonic() - rules_started
    except KitError as error:
        result.errors.append(str(error))
    except Exception as error:  # noqa: BLE001 - a bug of the kit: report what was found before it
        result.errors.append(internal_error(error, "the run stopped there; what it found before is reported"))
    finally:
        client.close()
        progress(f"cleanup: deleting {ledger.removable()} created by this run …")
        try:
            result.cleanup = ledger.cleanup(info.base_url, config.api_key, config.timeout, config.api_secret)
        except Exception as error:  # noqa: BLE001 - as above, for the cleanup
            result.cleanup.problems.append(internal_error(error, "the cleanup stopped there"))
        result.elapsed = time.monotonic() - started
        result.coverage = coverage.coverage()
    return result


def unstarted(config: KitConfig, error: str) -> RunResult:
    """The result of a run that could not start (the target is not there, …): its one error."""
    result = RunResult(config.run_id, config.base_url, config.seed, ("probe", *config.suites))
    result.errors.append(error)
    return result
