"""One run: check the target is the API, say what will be created, run the suites, clean up."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from contracts.checks import AnswerChecks
from contracts.client import ApiClient
from contracts.config import KitConfig
from contracts.curl import secret_variables
from contracts.dialects import TRUEDY, KitDialect, dialect_of
from contracts.errors import KitError, UsageError
from contracts.fuzz import SERVER_GONE, run_engine
from contracts.ledger import Ledger
from contracts.results import Requirement, RunResult
from contracts.rules import run_rules
from contracts.spec import SpecFacts, candidate_base_urls, facts, load_document, select
from contracts.target import TargetInfo, check_base_url, probe, sandbox_workspace, sandbox_zudu_workspace

Progress = Callable[[str], None]


def _silent(line: str) -> None:
    pass


def plan(
    config: KitConfig, info: TargetInfo, other_key_source: str, dialect: KitDialect = TRUEDY
) -> list[str]:
    """What the run will create on the target, said before it starts."""
    if dialect is not TRUEDY:
        return _zudu_plan(config, info, other_key_source)
    lines = [
        f"Contract kit run {config.run_id} against {info.base_url}"
        f" ({'the sandbox' if info.is_sandbox else 'not the sandbox'}), seed {config.seed},"
        f" suites: {', '.join(config.suites)}",
        f"  creates batch calls named '{config.tag} …' and deletes every one at the end;"
        " the rules suite schedules them 30 days ahead, so none places a call",
    ]
    if {"schema", "stateful"} & set(config.suites):
        lines += [
            "  the schema/stateful suites send generated requests: valid ones create batch calls (deleted"
            " at the end, and may be scheduled), contact folders and contacts (named"
            f" '{config.tag} …' where the data allows; the API has no DELETE for those, they stay)",
            "  use a test workspace: generated requests may also PATCH, schedule or delete what they created",
        ]
    if "rules" in config.suites:
        lines.append(f"  isolation rules: {other_key_source}")
    return lines


def _zudu_plan(config: KitConfig, info: TargetInfo, other_key_source: str) -> list[str]:
    f = config.fixtures
    lines = [
        f"Contract kit run {config.run_id} against {info.base_url}"
        f" ({'the sandbox' if info.is_sandbox else 'not the sandbox'}, Zudu's API), seed {config.seed},"
        f" suites: {', '.join(config.suites)}",
        f"  creates batch calls named '{config.tag} …' and deletes them at the end; Zudu deletes only"
        " draft or completed batches, so executed ones still dialling stay (the summary says how many)",
    ]
    if "rules" in config.suites:
        lines.append(
            "  the rules suite executes a few batches: they DIAL their tasks' numbers"
            f" ({', '.join(f.to_numbers)}; fictional 555-01xx numbers unless the fixtures say otherwise)"
        )
        if info.is_sandbox and info.clock == "manual" and not f.completed_batch:
            lines.append(
                "  it advances the sandbox's manual clock by a simulated day (POST /_mock/clock/advance) to"
                " run a batch to completion"
            )
        lines.append(f"  isolation rules: {other_key_source}")
    if {"schema", "stateful"} & set(config.suites):
        lines += [
            "  the schema/stateful suites send generated requests: valid ones create batch calls and may"
            " execute them (send_now, status sent, /execute), which DIALS generated numbers: use a test"
            " workspace whose calls are simulated",
        ]
    return lines


def discover_ids(client: ApiClient, config: KitConfig) -> dict[str, list[str]]:
    """Ids that exist on the target, for the fuzzers: the fixtures, plus numbers and contacts read from it."""
    f = config.fixtures
    known: dict[str, list[str]] = {
        "agents": [a for a in (f.ready_agent,) if a],
        "folders": [x for x in (f.contacts_folder, f.empty_folder) if x],
    }
    for name, path, params in (
        ("numbers", "/telephony/numbers", {"agent_id": f.ready_agent}),
        ("contacts", "/contacts", {"folder_id": f.contacts_folder}),
    ):
        if not all(params.values()):
            continue
        answer = client.get(path, params={**params, "limit": 20})
        items = answer.data if answer.status == 200 and isinstance(answer.data, list) else []
        known[name] = [i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), str)]
    return known


def probe_requirements(info: TargetInfo, dialect: KitDialect, spec_facts: SpecFacts) -> list[Requirement]:
    """The probe's answer, checked like every other: a 5xx or a wrong content type there is a finding."""
    checks = AnswerChecks(dialect.checks, spec_facts, "probe", lambda check: f"probe/{check.name}")
    if info.probe is not None:
        checks(info.probe)
    return checks.requirements()


def run(config: KitConfig, progress: Progress = _silent) -> RunResult:
    """Raises KitError when the kit cannot start (bad spec, target not there); otherwise a result."""
    started = time.monotonic()
    check_base_url(config.base_url)
    document = load_document(config.spec_path)
    dialect = dialect_of(document)
    if dialect.needs_secret and not config.api_secret:
        raise UsageError(f"{config.spec_path.name} is {dialect.api}: give the X-API-SECRET with --api-secret")
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
    config = dataclasses.replace(config, base_url=info.base_url)
    spec_facts = facts(document)
    other_key, other_secret = config.other_api_key, config.other_api_secret
    source = "a second workspace from --other-api-key"
    if dialect.needs_secret and other_key and not other_secret:
        other_key, source = None, "skipped: --other-api-key needs --other-api-secret"
    elif other_key is None and "rules" in config.suites:
        if dialect is TRUEDY:
            other_key = sandbox_workspace(info.origin, config.timeout) if info.is_sandbox else None
        else:
            pair = sandbox_zudu_workspace(info.origin, config.timeout) if info.is_sandbox else None
            other_key, other_secret = pair if pair else (None, None)
        source = (
            "a second workspace from the sandbox's control API (POST /_mock/workspaces)"
            if other_key
            else "skipped: no second workspace (give --other-api-key"
            + (" and --other-api-secret)" if dialect.needs_secret else ")")
        )
    for line in plan(config, info, source, dialect):
        progress(line)

    result = RunResult(config.run_id, info.base_url, config.seed, ("probe", *config.suites))
    result.requirements += probe_requirements(info, dialect, spec_facts)
    ledger = Ledger(config.tag, dialect=dialect)
    client = ApiClient(
        info.base_url,
        config.api_key,
        config.timeout,
        other_key,
        api_secret=config.api_secret,
        other_api_secret=other_secret,
        dialect=dialect,
    )
    try:
        fuzz_suites = tuple(s for s in config.suites if s in ("schema", "stateful"))
        if fuzz_suites:
            known_ids = discover_ids(client, config) if dialect is TRUEDY else {}
            requirements, errors, elapsed, cases = run_engine(
                config, document, selected, fuzz_suites, ledger, progress, known_ids
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
                config.fixtures,
                ledger,
                other_key,
                progress,
                dialect=dialect,
                target=info,
                other_api_secret=other_secret,
                facts=spec_facts,
            )
            result.suite_elapsed["rules"] = time.monotonic() - rules_started
    except KitError as error:
        result.errors.append(str(error))
    finally:
        client.close()
        progress(f"cleanup: deleting {ledger.count('batch_call')} batch calls created by this run …")
        result.cleanup = ledger.cleanup(info.base_url, config.api_key, config.timeout, config.api_secret)
        result.elapsed = time.monotonic() - started
    return result
