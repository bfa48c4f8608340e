"""Rules every response obeys: the one registry of response checks.

Each `ResponseCheck` is a plain function of a `TargetExchange` and what the spec documents (`SpecFacts`):
- the schema and stateful suites run it as the Schemathesis check of the same name (one marked
  `builtin` is Schemathesis' own, which the fuzz suites run instead);
- the probe, the rules suite and the proxy apply it to every answer they see, as requirement
  `rules_id`.
A dialect (`contracts.dialects`) lists the checks of its API; a run switches the others off.

Both APIs: a JSON `Content-Type` on every body, no 5xx, and every answer whole within the kit's
bounds (`contracts.body`: at most MAX_ANSWER bytes, complete within --timeout, in an encoding the
kit asked for and that decodes).
Truedy (`truedy_*`): the error envelope `{error: {code, message, details}, meta}` with a code the
spec's `x-error-codes` lists for the status (a 422 may instead be `HTTPValidationError`
`{detail: [{loc, msg, type}]}`); `X-Request-Id` equal to `meta.request_id`; the counter invariants.
Zudu (`zudu_*`, seed 004): the envelopes `{message, status: "success", error: null, data}` /
`{message, status: "error", error: <sentence>}` (a validation 422 may add `errors: [...]`); the
counters picked_up ≤ completed ≤ total, picked_up ≤ sent ≤ total, total = total_task_count.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import schemathesis

from contracts.body import CUT_ATTRIBUTE, MAX_ANSWER
from contracts.errors import ResponseCheckFailure
from contracts.exchange import TargetExchange, parse_json
from contracts.results import Requirement
from contracts.spec import NO_FACTS, SpecFacts

_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
ZUDU_COUNTERS = ("total", "total_task_count", "sent", "picked_up", "completed")
ZUDU_FIELD_LOCATIONS = frozenset({"body", "query", "path", "header"})
JSON_MEDIA = "application/json"
Problems = Callable[[TargetExchange, SpecFacts], list[str]]


@dataclass(frozen=True, slots=True)
class ResponseCheck:
    name: str  # the Schemathesis check's name
    rules_id: str  # the requirement of the probe, the rules suite and the proxy
    title: str  # what it requires, in one sentence
    problems: Problems
    builtin: bool = False  # Schemathesis ships a check of this name: the fuzz suites run theirs


# Generic ------------------------------------------------------------------------------------------
def complete_answer_problems(exchange: TargetExchange, facts: SpecFacts) -> list[str]:
    """The reader stopped before the end of the answer (`TargetExchange.cut` says why)."""
    return [exchange.cut] if exchange.cut else []


def content_type_problems(exchange: TargetExchange, facts: SpecFacts) -> list[str]:
    """Every body the spec documents is application/json: the Content-Type must say so."""
    if exchange.method.upper() == "HEAD" or not exchange.content:
        return []
    given = exchange.headers.get("content-type", "")
    media = given.split(";")[0].strip().lower()
    if media == JSON_MEDIA or (media.startswith("application/") and media.endswith("+json")):
        return []
    what = "a JSON body" if parse_json(exchange.content) is not None else "a body"
    label = f"Content-Type {given!r}" if given else "no Content-Type"
    return [f"{what} with {label}; the spec documents {JSON_MEDIA}"]


def server_error_problems(exchange: TargetExchange, facts: SpecFacts) -> list[str]:
    return [f"a server error {exchange.status}"] if exchange.status >= 500 else []


def _meta_problems(meta: Any, where: str) -> list[str]:
    if not isinstance(meta, dict):
        return [f"{where} has no 'meta' object"]
    problems = []
    if not (isinstance(meta.get("request_id"), str) and meta["request_id"].startswith("req_")):
        problems.append(f"{where}: meta.request_id must be a 'req_…' string, got {meta.get('request_id')!r}")
    if not (isinstance(meta.get("ts"), str) and _TS.match(meta["ts"])):
        problems.append(f"{where}: meta.ts must be RFC 3339 UTC with microseconds, got {meta.get('ts')!r}")
    return problems


def _validation_error_problems(body: dict[str, Any]) -> list[str]:
    detail = body.get("detail")
    if not isinstance(detail, list) or not detail:
        return ["a validation 422 must list its violations in 'detail'"]
    for item in detail:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("loc"), list)
            and isinstance(item.get("msg"), str)
            and isinstance(item.get("type"), str)
        ):
            return [f"every entry of 'detail' needs loc (list), msg and type (strings), got {item!r}"]
    return []


def error_envelope_problems(
    method: str, status: int, headers: Mapping[str, str], content: bytes, codes: Mapping[int, frozenset[str]]
) -> list[str]:
    """`headers` with lower-case names; `codes`: the documented error codes per status (the spec's)."""
    if status < 400 or method.upper() == "HEAD":
        return []
    body = parse_json(content)
    where = f"the {status} error body"
    if not isinstance(body, dict):
        kind = headers.get("content-type", "no content type")
        return [f"a {status} must answer a JSON error envelope, got {kind}: {content[:80]!r}"]
    if status == 422 and "error" not in body:
        return _validation_error_problems(body)
    error = body.get("error")
    if not isinstance(error, dict):
        return [f"{where} must be {{error: {{code, message, details}}, meta}}, got keys {sorted(body)}"]
    problems = []
    code = error.get("code")
    if not isinstance(code, str):
        problems.append(f"{where}: error.code must be a string, got {code!r}")
    elif status in codes and code not in codes[status]:
        expected = ", ".join(sorted(codes[status]))
        problems.append(f"{where}: error.code '{code}' is not a documented code for {status} ({expected})")
    if not isinstance(error.get("message"), str) or not error["message"]:
        problems.append(f"{where}: error.message must be a non-empty string")
    if "details" not in error or not (error["details"] is None or isinstance(error["details"], dict)):
        problems.append(f"{where}: error.details must be present, an object or null")
    elif code == "not_found" and not (
        isinstance(error["details"], dict) and {"resource", "id"} <= set(error["details"])
    ):
        problems.append(f"{where}: a not_found error names the missing thing in details {{resource, id}}")
    problems += _meta_problems(body.get("meta"), where)
    if status == 401 and not headers.get("www-authenticate", "").lower().startswith("bearer"):
        problems.append("a 401 must carry 'WWW-Authenticate: Bearer …'")
    return problems


def success_envelope_problems(method: str, status: int, content: bytes) -> list[str]:
    """A 2xx body is `{data, meta}` (lists add `pagination`)."""
    if not 200 <= status < 300 or method.upper() == "HEAD" or not content:
        return []
    body = parse_json(content)
    where = f"the {status} body"
    if not isinstance(body, dict) or "data" not in body:
        got = f"keys {sorted(body)}" if isinstance(body, dict) else repr(content[:80])
        return [f"{where} must be {{data, meta}}, got {got}"]
    return _meta_problems(body.get("meta"), where)


def request_id_problems(headers: Mapping[str, str], content: bytes) -> list[str]:
    header = headers.get("x-request-id")
    if not header:
        return ["no X-Request-Id header"]
    body = parse_json(content)
    meta = body.get("meta") if isinstance(body, dict) else None
    if isinstance(meta, dict) and "request_id" in meta and meta["request_id"] != header:
        return [f"meta.request_id {meta['request_id']!r} differs from X-Request-Id {header!r}"]
    return []


def _batches(body: Any) -> list[dict[str, Any]]:
    data = body.get("data") if isinstance(body, dict) else None
    items = data if isinstance(data, list) else [data]
    return [b for b in items if isinstance(b, dict) and "completed_contacts" in b]


def counter_problems(content: bytes) -> list[str]:
    problems = []
    for batch in _batches(parse_json(content)):
        names = (
            "total_contacts",
            "completed_contacts",
            "successful_contacts",
            "failed_contacts",
            "voicemail_contacts",
            "no_answer_contacts",
        )
        values = [batch.get(name) for name in names]
        counters = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
        if len(counters) != len(names):
            continue  # a type problem: the schema checks report it
        total, completed, successful, failed, voicemail, no_answer = counters
        who = f"batch {batch['id']!r}" if isinstance(batch.get("id"), str) else "the counters"
        if completed != successful + failed:
            problems.append(
                f"{who}: completed_contacts {completed} != successful_contacts {successful} "
                f"+ failed_contacts {failed}"
            )
        if failed < voicemail + no_answer:
            problems.append(
                f"{who}: failed_contacts {failed} < voicemail_contacts {voicemail} "
                f"+ no_answer_contacts {no_answer}"
            )
        if completed > total:
            problems.append(f"{who}: completed_contacts {completed} > total_contacts {total}")
    return problems


# Zudu ----------------------------------------------------------------------------------------------
def _zudu_field_errors_problems(errors: Any, where: str) -> list[str]:
    if not isinstance(errors, list) or not errors:
        return [f"{where}: 'errors' must list the violations (a non-empty array), got {errors!r}"]
    for item in errors:
        if not (
            isinstance(item, dict)
            and (item.get("field") is None or isinstance(item.get("field"), str))
            and item.get("location") in ZUDU_FIELD_LOCATIONS
            and isinstance(item.get("message"), str)
            and isinstance(item.get("type"), str)
        ):
            return [
                f"{where}: every entry of 'errors' needs field (string or null), location "
                f"(body|query|path|header), message and type (strings), got {item!r}"
            ]
    return []


def zudu_envelope_problems(method: str, status: int, headers: Mapping[str, str], content: bytes) -> list[str]:
    """Zudu's envelopes: `{message, status: "success", error: null, data}` for 2xx, `{message,
    status: "error", error: <sentence>}` for 4xx/5xx. `headers` with lower-case names."""
    if method.upper() == "HEAD" or status < 200 or 300 <= status < 400:
        return []
    body = parse_json(content)
    if not isinstance(body, dict):
        kind = headers.get("content-type", "no content type")
        return [f"a {status} must answer Zudu's JSON envelope, got {kind}: {content[:80]!r}"]
    problems = []
    if not isinstance(body.get("message"), str) or not body["message"]:
        problems.append(
            f"the {status} body: 'message' must be a non-empty string, got {body.get('message')!r}"
        )
    if status < 300:
        where = f"the {status} success body"
        if body.get("status") != "success":
            problems.append(f"{where}: 'status' must be \"success\", got {body.get('status')!r}")
        if "error" not in body or body["error"] is not None:
            problems.append(
                f"{where}: 'error' must be present and null, got {body.get('error', '<absent>')!r}"
            )
        if "data" not in body:
            problems.append(f"{where} has no 'data'")
        return problems
    where = f"the {status} error body"
    if body.get("status") != "error":
        problems.append(f"{where}: 'status' must be \"error\", got {body.get('status')!r}")
    if not isinstance(body.get("error"), str) or not body["error"].strip():
        problems.append(
            f"{where}: 'error' must say what went wrong in a non-empty string, got {body.get('error')!r}"
        )
    if "errors" in body:
        problems += _zudu_field_errors_problems(body["errors"], where)
    return problems


def _zudu_batches(body: Any) -> list[dict[str, Any]]:
    data = body.get("data") if isinstance(body, dict) else None
    if isinstance(data, dict) and isinstance(data.get("batch_calls"), list):
        items = data["batch_calls"]
    else:
        items = data if isinstance(data, list) else [data]
    return [b for b in items if isinstance(b, dict) and {"picked_up", "total"} <= set(b)]


def zudu_counter_problems(content: bytes) -> list[str]:
    """picked_up ≤ completed ≤ total, picked_up ≤ sent ≤ total, total = total_task_count."""
    problems = []
    for batch in _zudu_batches(parse_json(content)):
        values = [batch.get(name) for name in ZUDU_COUNTERS]
        counters = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
        if len(counters) != len(ZUDU_COUNTERS):
            continue  # a missing or mistyped counter: the schema checks report it
        total, task_count, sent, picked_up, completed = counters
        who = (
            f"batch {batch['batch_call_id']!r}" if isinstance(batch.get("batch_call_id"), str) else "a batch"
        )
        if total != task_count:
            problems.append(f"{who}: total {total} != total_task_count {task_count}")
        if not picked_up <= completed <= total:
            problems.append(f"{who}: expected picked_up {picked_up} ≤ completed {completed} ≤ total {total}")
        if not picked_up <= sent <= total:
            problems.append(f"{who}: expected picked_up {picked_up} ≤ sent {sent} ≤ total {total}")
    return problems


# The registry ---------------------------------------------------------------------------------------
CONTENT_TYPE = ResponseCheck(
    "content_type_conformance",
    "rules/response.content_type_conformance",
    f"Every body is sent with Content-Type {JSON_MEDIA}, as documented",
    content_type_problems,
    builtin=True,
)
NO_SERVER_ERROR = ResponseCheck(
    "not_a_server_error",
    "rules/response.not_a_server_error",
    "No request the kit sends gets a 5xx",
    server_error_problems,
    builtin=True,
)
TRUEDY_ENVELOPE = ResponseCheck(
    "truedy_error_envelope",
    "rules/response.error_envelope",
    "Every error is an ErrorResponse {error: {code, message, details}, meta} with a code the spec lists "
    "for its status (a validation 422 may be HTTPValidationError)",
    lambda e, facts: error_envelope_problems(e.method, e.status, e.headers, e.content, facts.error_codes),
)
TRUEDY_SUCCESS_ENVELOPE = ResponseCheck(
    "truedy_success_envelope",
    "rules/response.success_envelope",
    "Every 2xx body is {data, meta} (lists add pagination), meta {request_id: req_…, ts}",
    lambda e, facts: success_envelope_problems(e.method, e.status, e.content),
)
TRUEDY_REQUEST_ID = ResponseCheck(
    "truedy_request_id",
    "rules/response.request_id",
    "Every response carries X-Request-Id, equal to meta.request_id",
    lambda e, facts: request_id_problems(e.headers, e.content),
)
TRUEDY_COUNTERS = ResponseCheck(
    "truedy_counter_invariants",
    "rules/invariants.counters",
    "Every batch read: completed = successful + failed, failed ≥ voicemail + no_answer, completed ≤ total",
    lambda e, facts: counter_problems(e.content),
)
ZUDU_ENVELOPE = ResponseCheck(
    "zudu_envelope",
    "rules/response.envelope",
    'Every answer is Zudu\'s envelope: {message, status: "success", error: null, data} or '
    '{message, status: "error", error: <sentence>} (a validation 422 may add errors[])',
    lambda e, facts: zudu_envelope_problems(e.method, e.status, e.headers, e.content),
)
ZUDU_COUNTERS_CHECK = ResponseCheck(
    "zudu_counter_invariants",
    "rules/invariants.counters",
    "Every batch read: picked_up ≤ completed ≤ total, picked_up ≤ sent ≤ total, total = total_task_count",
    lambda e, facts: zudu_counter_problems(e.content),
)
COMPLETE_ANSWER = ResponseCheck(
    "complete_answer",
    "rules/response.complete_answer",
    f"Every answer is whole: at most {MAX_ANSWER // 2**20} MiB, complete within --timeout, and decodable "
    "(a Content-Encoding the client asked for, valid)",
    complete_answer_problems,
)
CHECKS: tuple[ResponseCheck, ...] = (
    COMPLETE_ANSWER,
    CONTENT_TYPE,
    NO_SERVER_ERROR,
    TRUEDY_ENVELOPE,
    TRUEDY_SUCCESS_ENVELOPE,
    TRUEDY_REQUEST_ID,
    TRUEDY_COUNTERS,
    ZUDU_ENVELOPE,
    ZUDU_COUNTERS_CHECK,
)
CUSTOM = tuple(check.name for check in CHECKS if not check.builtin)


class AnswerChecks:
    """Applies checks to every answer it is shown: one requirement per check, `id_of` names it."""

    def __init__(
        self,
        checks: tuple[ResponseCheck, ...],
        facts: SpecFacts,
        suite: str,
        id_of: Callable[[ResponseCheck], str],
    ) -> None:
        self.facts = facts
        self.checks = [(check, Requirement(id_of(check), suite, check.title)) for check in checks]

    def __call__(self, exchange: TargetExchange) -> None:
        for check, requirement in self.checks:
            requirement.checked += 1
            for problem in check.problems(exchange, self.facts):
                where = f"{exchange.method} {exchange.path} → {exchange.status}"
                requirement.fail(f"{where}: {problem}", [exchange.curl] if exchange.curl else [])

    def requirements(self) -> list[Requirement]:
        return [requirement for _, requirement in self.checks]


class _Facts:
    """What the spec of the run in progress documents: Schemathesis calls checks from its global
    registry, so they look the run up here."""

    active: SpecFacts = NO_FACTS
    lock = threading.Lock()


@contextmanager
def checking_against(facts: SpecFacts) -> Iterator[None]:
    with _Facts.lock:
        _Facts.active = facts
        try:
            yield
        finally:
            _Facts.active = NO_FACTS


def _as_schemathesis_check(check: ResponseCheck) -> None:
    def run(
        ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
    ) -> bool | None:
        headers = {name.lower(): values[0] for name, values in response.headers.items() if values}
        cut = str(getattr(response.request, CUT_ATTRIBUTE, ""))  # set by fuzz's bounded reading
        exchange = TargetExchange(
            case.method, case.path, response.status_code, headers, response.content, cut=cut
        )
        problems = check.problems(exchange, _Facts.active)
        if problems:
            raise ResponseCheckFailure("; ".join(problems))
        return None

    run.__name__ = run.__qualname__ = check.name
    schemathesis.check(run)


for _check in CHECKS:
    if not _check.builtin:
        _as_schemathesis_check(_check)
