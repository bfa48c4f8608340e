"""Rules every response obeys, as plain functions, and registered as Schemathesis checks.

Truedy (`truedy_*`):
- the error envelope: `ErrorResponse` `{error: {code, message, details}, meta}` with the code that
  belongs to the status (a 422 may instead be `HTTPValidationError` `{detail: [{loc, msg, type}]}`);
- `X-Request-Id` on every response, equal to `meta.request_id` when the body has one;
- the counter invariants of every batch call in a body.

Zudu (`zudu_*`, seed 004):
- the envelopes: success `{message, status: "success", error: null, data}`, error `{message,
  status: "error", error: <one sentence>}` (a validation 422 may add `errors: [{field, location,
  message, type}]`);
- the counters of every batch call in a body: picked_up ≤ completed ≤ total, picked_up ≤ sent ≤
  total, total = total_task_count.

A run switches off the other dialect's checks (`contracts.dialects`). The functions return the
problems they see (empty: conformant); the Schemathesis checks raise them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson
import schemathesis

from contracts.errors import ResponseCheckFailure

BUSINESS_CODES = frozenset(
    {
        "invalid_state",
        "no_contacts",
        "agent_not_ready",
        "no_phone_numbers",
        "scheduled_at_in_past",
        "scheduling_failed",
        "idempotency_key_reused",
    }
)
CODES_BY_STATUS: Mapping[int, frozenset[str]] = {
    400: frozenset({"invalid_json"}),
    401: frozenset({"unauthorized"}),
    404: frozenset({"not_found"}),
    405: frozenset({"method_not_allowed"}),
    409: frozenset({"idempotency_request_in_progress"}),
    413: frozenset({"payload_too_large"}),
    415: frozenset({"unsupported_media_type"}),
    422: BUSINESS_CODES,
    429: frozenset({"rate_limit_exceeded"}),
    500: frozenset({"internal_error"}),
}
_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")

ENVELOPE_CHECK = "truedy_error_envelope"
REQUEST_ID_CHECK = "truedy_request_id"
COUNTERS_CHECK = "truedy_counter_invariants"
CUSTOM_CHECKS = (ENVELOPE_CHECK, REQUEST_ID_CHECK, COUNTERS_CHECK)
ZUDU_ENVELOPE_CHECK = "zudu_envelope"
ZUDU_COUNTERS_CHECK = "zudu_counter_invariants"
ZUDU_CHECKS = (ZUDU_ENVELOPE_CHECK, ZUDU_COUNTERS_CHECK)
ZUDU_COUNTERS = ("total", "total_task_count", "sent", "picked_up", "completed")
ZUDU_FIELD_LOCATIONS = frozenset({"body", "query", "path", "header"})


def parse_json(content: bytes) -> Any:
    """The body as JSON, or None when there is none or it is not JSON."""
    if not content:
        return None
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return None


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
    method: str, status: int, headers: Mapping[str, str], content: bytes
) -> list[str]:
    """`headers` with lower-case names."""
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
    elif status in CODES_BY_STATUS and code not in CODES_BY_STATUS[status]:
        expected = ", ".join(sorted(CODES_BY_STATUS[status]))
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


def _headers(response: schemathesis.Response) -> dict[str, str]:
    return {name.lower(): values[0] for name, values in response.headers.items() if values}


def _raise(problems: list[str]) -> None:
    if problems:
        raise ResponseCheckFailure("; ".join(problems))


@schemathesis.check
def truedy_error_envelope(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> bool | None:
    _raise(error_envelope_problems(case.method, response.status_code, _headers(response), response.content))
    return None


@schemathesis.check
def truedy_request_id(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> bool | None:
    _raise(request_id_problems(_headers(response), response.content))
    return None


@schemathesis.check
def truedy_counter_invariants(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> bool | None:
    _raise(counter_problems(response.content))
    return None


# Zudu ---------------------------------------------------------------------------------------------
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


@schemathesis.check
def zudu_envelope(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> bool | None:
    _raise(zudu_envelope_problems(case.method, response.status_code, _headers(response), response.content))
    return None


@schemathesis.check
def zudu_counter_invariants(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> bool | None:
    _raise(zudu_counter_problems(response.content))
    return None
