"""Truedy's response checks: what every answer of the Batch Calls API obeys besides its schemas.

The error envelope `{error: {code, message, details}, meta}` with a code the spec's `x-error-codes`
lists for the status (a 422 may instead be `HTTPValidationError` `{detail: [{loc, msg, type}]}`);
`X-Request-Id` equal to `meta.request_id`; the counter invariants of a batch call. `CHECKS` is the
profile's list: a check added to it is run by every suite, the probe and the proxy.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from contracts.checks import ResponseCheck
from contracts.exchange import parse_json

_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


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


ERROR_ENVELOPE = ResponseCheck(
    "truedy_error_envelope",
    "rules/response.error_envelope",
    "Every error is an ErrorResponse {error: {code, message, details}, meta} with a code the spec lists "
    "for its status (a validation 422 may be HTTPValidationError)",
    lambda e, facts: error_envelope_problems(e.method, e.status, e.headers, e.content, facts.error_codes),
)
SUCCESS_ENVELOPE = ResponseCheck(
    "truedy_success_envelope",
    "rules/response.success_envelope",
    "Every 2xx body is {data, meta} (lists add pagination), meta {request_id: req_…, ts}",
    lambda e, facts: success_envelope_problems(e.method, e.status, e.content),
)
REQUEST_ID = ResponseCheck(
    "truedy_request_id",
    "rules/response.request_id",
    "Every response carries X-Request-Id, equal to meta.request_id",
    lambda e, facts: request_id_problems(e.headers, e.content),
)
COUNTERS = ResponseCheck(
    "truedy_counter_invariants",
    "rules/invariants.counters",
    "Every batch read: completed = successful + failed, failed ≥ voicemail + no_answer, completed ≤ total",
    lambda e, facts: counter_problems(e.content),
)
CHECKS = (ERROR_ENVELOPE, SUCCESS_ENVELOPE, REQUEST_ID, COUNTERS)
