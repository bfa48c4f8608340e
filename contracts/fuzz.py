"""The schema and stateful suites: Schemathesis 4's engine over the selected operations.

schema:   the examples, coverage and fuzzing phases (positive and negative data, every check);
stateful: the stateful phase, sequences through the spec's links (create → get → update → schedule
          → pause → resume → delete) with use-after-free and resource-availability checks.
Every check result becomes a requirement `<suite>/<operationId>/<check>`.

Schemathesis reads every answer whole; the kit reads it for Schemathesis instead (`_read_bounded`,
a response hook of every request it sends: its cases, its checks' own requests, its probes of the
target), within the bounds of `contracts.body`, so a hostile answer (a gigabyte, a stream that
never ends, a gzip bomb) is cut and reported by the `complete_answer` check.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import orjson
import requests
import schemathesis
from schemathesis.engine import Status, StopReason, events, from_schema
from schemathesis.engine import context as engine_context
from schemathesis.engine.recorder import CheckNode, ScenarioRecorder
from schemathesis.engine.run import PhaseName
from schemathesis.transport.requests import REQUESTS_TRANSPORT
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from contracts import redaction
from contracts.body import CUT_ATTRIBUTE, MAX_ANSWER, BoundedBody
from contracts.checks import checking_against, registered_names, schemathesis_names
from contracts.config import KitConfig
from contracts.curl import unfilter_schemathesis_curl
from contracts.dialects import KitDialect
from contracts.exchange import parse_json
from contracts.ledger import Ledger, tagged
from contracts.local_constants import none_drawn
from contracts.results import Outcome, Requirement
from contracts.spec import OperationInfo, SpecFacts, fuzzable, operations

SCHEMA_PHASES = ("examples", "coverage", "fuzzing")
SUITE_OF_PHASE = {
    PhaseName.EXAMPLES: "schema",
    PhaseName.COVERAGE: "schema",
    PhaseName.FUZZING: "schema",
    PhaseName.STATEFUL_TESTING: "stateful",
}
MAX_MESSAGE = 1500
MAX_SHOWN = 400  # characters of the offending part of a body
STATEFUL_FACTOR = 3
SERVER_GONE = "the target stopped responding during the Schemathesis phases"

Progress = Callable[[str], None]


class _Tagging:
    """The run in progress: prefixes the names of what the fuzzers create with its tag (valid data
    only), and reads answers within its --timeout.

    Schemathesis runs `before_call` hooks only from its global registry, so one hook is registered
    once and looks up the run in progress.
    """

    active: Ledger | None = None
    tagged_fields: Mapping[str, tuple[str, int]] = {}  # the profile's: operationId -> field, maxLength
    timeout: float = 10.0
    lock = threading.Lock()


READ_CHUNK = 65_536


def _read_bounded(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    """A requests response hook: read the body within the bounds (as `target.fetch` does) before
    Schemathesis does; an answer cut short is marked on its request (CUT_ATTRIBUTE) for the checks."""
    if response._content_consumed:  # read already (a hook of the session and of the request)
        return
    body = BoundedBody(response.headers.get("content-encoding", ""), MAX_ANSWER, _Tagging.timeout)
    try:
        while chunk := response.raw.read1(READ_CHUNK, decode_content=False):
            if not body.feed(chunk):
                break
    except ReadTimeoutError:
        body.too_slow()
    except ProtocolError as exc:
        response.close()
        raise requests.exceptions.ChunkedEncodingError(exc) from exc
    response._content = body.finish()  # what `response.content` returns from now on
    response._content_consumed = True
    if body.cut is None:
        response.raw.release_conn()
    else:
        setattr(response.request, CUT_ATTRIBUTE, body.reason)
        response.close()  # drops the connection: the rest of the answer is never read


@contextmanager
def _bounded_reading() -> Iterator[None]:
    """For the length of a run, every request Schemathesis sends reads its answer with
    `_read_bounded`: those of its transport (cases, and the checks that send requests of their own,
    with sessions of their own) and those of the sessions its engine makes (its probes)."""
    send, make_session = REQUESTS_TRANSPORT.send, engine_context.make_session

    def bounded_send(case: schemathesis.Case[Any], **kwargs: Any) -> Any:
        return send(case, **{**kwargs, "hooks": {"response": [_read_bounded]}})

    def bounded_session(*args: Any, **kwargs: Any) -> requests.Session:
        session = make_session(*args, **kwargs)
        session.hooks["response"].append(_read_bounded)
        return session

    REQUESTS_TRANSPORT.send = bounded_send  # type: ignore[method-assign]
    engine_context.make_session = bounded_session
    try:
        yield
    finally:
        del REQUESTS_TRANSPORT.send  # the class's method again
        engine_context.make_session = make_session


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: schemathesis.Case[Any], kwargs: Any) -> None:
    _drop_framing_headers(case)
    ledger = _Tagging.active
    operation_id = case.operation.definition.raw.get("operationId")
    spec = _Tagging.tagged_fields.get(str(operation_id)) if ledger is not None else None
    if ledger is None or spec is None or not isinstance(case.body, dict):
        return
    field, max_length = spec
    value = case.body.get(field)
    is_negative = case.meta is not None and case.meta.generation.mode.is_negative
    if isinstance(value, str) and value and not is_negative:
        case.body[field] = tagged(ledger.tag, value, max_length)


# Message framing is the HTTP client's job: a generated value makes the request invalid HTTP, which
# the target's HTTP server rejects before any API logic runs (uvicorn: a plain-text 400), so it
# would report the server software, not the API under test.
FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "host", "connection"})


def _drop_framing_headers(case: schemathesis.Case[Any]) -> None:
    if case.headers:
        for name in [n for n in case.headers if n.lower() in FRAMING_HEADERS]:
            del case.headers[name]


# how often a parameter bound to ids that exist on the target (the dialect's `id_bindings`) takes one,
# so that valid requests reach the business logic instead of stopping at a 404
ID_PROBABILITY = 0.8


def _bindings(
    dialect: KitDialect, known_ids: Mapping[str, list[str]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    bindings = dialect.id_bindings
    dictionaries = {name: {"values": ids} for name, ids in known_ids.items() if ids and name in bindings}
    parameters = {
        key: {"dictionary": name, "probability": ID_PROBABILITY}
        for name in dictionaries
        for key in bindings[name]
    }
    return dictionaries, parameters


def engine_config(
    config: KitConfig,
    document: Mapping[str, Any],
    selected: list[OperationInfo],
    phases: set[str],
    known_ids: Mapping[str, list[str]],
    dialect: KitDialect,
    spec_facts: SpecFacts,
) -> schemathesis.Config:
    expected = {
        op.operation_id: statuses
        for op in selected
        if (statuses := dialect.expected_statuses(op.operation_id, spec_facts)) is not None
    }
    dictionaries, parameters = _bindings(dialect, known_ids)
    # the checks other profiles registered do not apply to this API's responses
    mine = schemathesis_names(dialect.answer_checks)
    checks = {name: {"enabled": False} for name in sorted(registered_names() - mine)}
    return schemathesis.Config.from_dict(
        {
            "dictionaries": dictionaries,
            "parameters": parameters,
            "seed": config.seed,
            # no `.schemathesis/` cache: it replays what earlier runs (and runs beside this one, in
            # the same folder) learned, so that a seed no longer gave the same scenarios, and it
            # left state in the folder the kit was run from
            "cache": {"enabled": False},
            "base-url": config.base_url,
            "workers": config.workers,
            "request-timeout": config.timeout,
            "generation": {"max-examples": config.max_examples, "database": "none", "mode": "all"},
            "auth": {"openapi": dialect.schemathesis_auth(document, config.api_key, config.api_secret)},
            "checks": checks,
            "phases": {
                **{name: {"enabled": name in phases} for name in SCHEMA_PHASES},
                # scenarios are short and cheap: three times as many as fuzzing cases per operation
                "stateful": {
                    "enabled": "stateful" in phases,
                    "generation": {
                        "max-examples": STATEFUL_FACTOR * config.max_examples,
                        "database": "none",
                        "mode": "all",
                    },
                },
            },
            "operations": [
                {
                    "include-operation-id": op_id,
                    "checks": {"positive_data_acceptance": {"expected-statuses": statuses}},
                }
                for op_id, statuses in sorted(expected.items())
            ],
        }
    )


class _Collector:
    """Check results of finished scenarios → requirements."""

    def __init__(self, selected: list[OperationInfo]) -> None:
        self.by_label = {op.label: op for op in selected}
        self.requirements: dict[str, Requirement] = {}
        self.cases: dict[str, int] = {}  # test cases sent, per suite

    def requirement(self, suite: str, op: OperationInfo, check: str) -> Requirement:
        key = f"{suite}/{op.operation_id}/{check}"
        if key not in self.requirements:
            self.requirements[key] = Requirement(key, suite, f"{op.label} — {check}")
        return self.requirements[key]

    def add(self, suite: str, recorder: ScenarioRecorder) -> None:
        self.cases[suite] = self.cases.get(suite, 0) + len(recorder.cases)
        for case_id, nodes in recorder.checks.items():
            node = recorder.cases.get(case_id)
            op = self.by_label.get(node.value.operation.label) if node else None
            if op is None:
                continue
            for check in nodes:
                self._add_check(self.requirement(suite, op, check.name), check)

    @staticmethod
    def _add_check(requirement: Requirement, check: CheckNode) -> None:
        requirement.checked += 1
        if check.status == Status.ERROR:
            requirement.fail(f"the check {check.name} crashed", [], Outcome.ERROR)
        elif check.status == Status.FAILURE and check.failure_info is not None:
            info = check.failure_info
            failure = info.failure
            text = _failure_text(failure)
            commands = [step.curl for step in info.steps] or [info.code_sample]
            requirement.fail(text, [unfilter_schemathesis_curl(c) for c in commands])


def _failure_text(failure: Any) -> str:
    """The failure's title and message; for a schema failure, first what was checked (the schema
    Schemathesis names, the keyword) and the offending part of the body, then its full message."""
    text = f"{failure.title}: {failure.message}".strip()
    schema_path = getattr(failure, "schema_path", None)
    instance_path = getattr(failure, "instance_path", None)
    if schema_path is not None and instance_path is not None and hasattr(failure, "instance"):
        # what the sandbox's journal hides is not shown here either (a report is read by others)
        field = instance_path[-1] if instance_path else 0
        instance = redaction.redacted({field: failure.instance})[field]
        try:
            shown = orjson.dumps(instance).decode()
        except TypeError:
            shown = repr(instance)
        if len(shown) > MAX_SHOWN:
            shown = shown[:MAX_SHOWN] + " …"
        first, _, rest = text.partition("\n")
        keyword = schema_path[-1] if schema_path else "?"
        if instance is not failure.instance:  # Schemathesis' message quotes the value: not shown
            first = f"{failure.title}: a value holding a credential fails the schema's `{keyword}` keyword"
            rest = ""
        located = re.search(r"^Schema at (\S+):", rest, flags=re.M)
        against = re.search(r"^Validated against (.+?)\.?$", rest, flags=re.M)
        where = "".join(f"[{p!r}]" for p in instance_path) or " (the whole body)"
        checked = (against.group(1) if against else "the documented schema") + (
            f", at {located.group(1)}" if located else ""
        )
        text = (
            f"{first}\nchecked: {checked} (keyword {keyword})\noffending part: body{where} = {shown}\n{rest}"
        )
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + " …"


def run_engine(
    config: KitConfig,
    document: Mapping[str, Any],
    selected: list[OperationInfo],
    suites: tuple[str, ...],
    ledger: Ledger,
    progress: Progress,
    known_ids: Mapping[str, list[str]],
    dialect: KitDialect,
    spec_facts: SpecFacts,
    answered: Callable[[str, int, Any], None] | None = None,
) -> tuple[list[Requirement], list[str], dict[str, float], dict[str, int]]:
    """Run the Schemathesis phases of `suites`: requirements, the kit's errors, seconds and test
    cases per suite. `answered` is shown each answer (operationId, status, parsed body)."""
    phases = ({*SCHEMA_PHASES} if "schema" in suites else set()) | (
        {"stateful"} if "stateful" in suites else set()
    )
    engine = engine_config(config, document, selected, phases, known_ids, dialect, spec_facts)
    schema: schemathesis.BaseSchema = schemathesis.openapi.from_dict(fuzzable(document), config=engine)
    labels = {op.label for op in selected}
    if len(labels) < len(operations(document)):
        schema = schema.include(func=lambda ctx: ctx.operation.label in labels)

    @schema.hook
    def after_call(
        context: schemathesis.HookContext, case: schemathesis.Case[Any], response: schemathesis.Response
    ) -> None:
        operation_id = str(case.operation.definition.raw.get("operationId"))
        body = parse_json(response.content)
        ledger.record_response(operation_id, response.status_code, body)
        if answered is not None:
            answered(operation_id, response.status_code, body)

    collector = _Collector(selected)
    errors: list[str] = []
    elapsed: dict[str, float] = {}
    started: dict[str, float] = {}
    with _Tagging.lock, checking_against(spec_facts), _bounded_reading(), none_drawn():
        _Tagging.active, _Tagging.timeout, _Tagging.tagged_fields = (
            ledger,
            config.timeout,
            dialect.tagged_fields,
        )
        interrupted = False
        try:
            for event in from_schema(schema).execute():
                interrupted = interrupted or isinstance(event, events.Interrupted)
                _handle(event, collector, errors, started, elapsed, progress)
        finally:
            _Tagging.active, _Tagging.tagged_fields = None, {}
    if interrupted:  # Schemathesis took the Ctrl-C and finished quietly: the run stops here, as elsewhere
        raise KeyboardInterrupt  # (a run cut short never reads as conformant)
    return list(collector.requirements.values()), errors, elapsed, collector.cases


def _handle(
    event: events.EngineEvent,
    collector: _Collector,
    errors: list[str],
    started: dict[str, float],
    elapsed: dict[str, float],
    progress: Progress,
) -> None:
    if isinstance(event, events.PhaseStarted) and event.phase.name in SUITE_OF_PHASE:
        started[event.phase.name.value] = event.timestamp
        progress(f"{SUITE_OF_PHASE[event.phase.name]}: {event.phase.name.value} phase …")
    elif isinstance(event, events.PhaseFinished) and event.phase.name in SUITE_OF_PHASE:
        suite = SUITE_OF_PHASE[event.phase.name]
        if event.phase.name.value in started:
            took = event.timestamp - started[event.phase.name.value]
            elapsed[suite] = elapsed.get(suite, 0.0) + took
            progress(f"{suite}: {event.phase.name.value} phase {event.status.value} ({took:.1f} s)")
    elif isinstance(event, events.ScenarioFinished) and event.phase in SUITE_OF_PHASE:
        collector.add(SUITE_OF_PHASE[event.phase], event.recorder)
    elif isinstance(event, events.NonFatalError):
        message = event.info.format(base_url_is_set=True).strip().splitlines()
        errors.append(f"{event.label}: {' '.join(line.strip() for line in message[:3])}")
    elif isinstance(event, events.FatalError):
        errors.append(f"Schemathesis stopped: {type(event.exception).__name__}: {event.exception}")
    elif isinstance(event, events.EngineFinished) and event.stop_reason == StopReason.SERVER_UNAVAILABLE:
        errors.append(SERVER_GONE)
