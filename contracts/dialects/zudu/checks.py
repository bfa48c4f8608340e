"""Zudu's response checks (seed 004): what every answer of its batch-call API obeys besides its schemas.

The envelopes `{message, status: "success", error: null, data}` / `{message, status: "error", error:
<sentence>}` (a validation 422 may add `errors: [...]`); the counters picked_up ≤ completed ≤ total,
picked_up ≤ sent ≤ total, total = total_task_count. `CHECKS` is the profile's list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.checks import ResponseCheck
from contracts.exchange import parse_json

COUNTER_NAMES = ("total", "total_task_count", "sent", "picked_up", "completed")
FIELD_LOCATIONS = frozenset({"body", "query", "path", "header"})


def _field_errors_problems(errors: Any, where: str) -> list[str]:
    if not isinstance(errors, list) or not errors:
        return [f"{where}: 'errors' must list the violations (a non-empty array), got {errors!r}"]
    for item in errors:
        if not (
            isinstance(item, dict)
            and (item.get("field") is None or isinstance(item.get("field"), str))
            and item.get("location") in FIELD_LOCATIONS
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
        problems += _field_errors_problems(body["errors"], where)
    return problems


def _batches(body: Any) -> list[dict[str, Any]]:
    data = body.get("data") if isinstance(body, dict) else None
    if isinstance(data, dict) and isinstance(data.get("batch_calls"), list):
        items = data["batch_calls"]
    else:
        items = data if isinstance(data, list) else [data]
    return [b for b in items if isinstance(b, dict) and {"picked_up", "total"} <= set(b)]


def zudu_counter_problems(content: bytes) -> list[str]:
    """picked_up ≤ completed ≤ total, picked_up ≤ sent ≤ total, total = total_task_count."""
    problems = []
    for batch in _batches(parse_json(content)):
        values = [batch.get(name) for name in COUNTER_NAMES]
        counters = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
        if len(counters) != len(COUNTER_NAMES):
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


ENVELOPE = ResponseCheck(
    "zudu_envelope",
    "rules/response.envelope",
    'Every answer is Zudu\'s envelope: {message, status: "success", error: null, data} or '
    '{message, status: "error", error: <sentence>} (a validation 422 may add errors[])',
    lambda e, facts: zudu_envelope_problems(e.method, e.status, e.headers, e.content),
)
COUNTERS = ResponseCheck(
    "zudu_counter_invariants",
    "rules/invariants.counters",
    "Every batch read: picked_up ≤ completed ≤ total, picked_up ≤ sent ≤ total, total = total_task_count",
    lambda e, facts: zudu_counter_problems(e.content),
)
CHECKS = (ENVELOPE, COUNTERS)
