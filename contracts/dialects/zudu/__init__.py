"""The profile of Zudu's batch-call API (seed 004, openapi.zudu.json): every per-API fact the kit uses.

Its response checks are in `checks.py`, its rules in `rules/`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from contracts.client import ApiClient
from contracts.dialects.base import FixtureField, KitDialect, ReadAfterWrite
from contracts.dialects.schemes import header_key_schemes
from contracts.dialects.zudu.checks import CHECKS
from contracts.ledger import Resources

if TYPE_CHECKING:
    from contracts.config import KitConfig
    from contracts.fixtures import Fixtures
    from contracts.target import TargetInfo

BATCHES = "/batch-call"


def _auth_headers(key: str | None, secret: str | None) -> dict[str, str]:
    headers = {}
    if key is not None:
        headers["X-API-KEY"] = key
    if secret is not None:
        headers["X-API-SECRET"] = secret
    return headers


def _schemathesis_auth(document: Mapping[str, Any], key: str, secret: str | None) -> Any:
    schemes = header_key_schemes(document)
    return {schemes["x-api-key"]: {"api_key": key}, schemes["x-api-secret"]: {"api_key": secret or ""}}


def _recognizes(document: Mapping[str, Any]) -> bool:
    return {"x-api-key", "x-api-secret"} <= set(header_key_schemes(document))


def _workspace_credentials(answer: Mapping[str, Any]) -> tuple[str, str | None] | None:
    pair = answer.get("zudu")
    key, secret = (pair.get("api_key"), pair.get("api_secret")) if isinstance(pair, dict) else (None, None)
    return (key, secret) if isinstance(key, str) and isinstance(secret, str) else None


def _plan(config: KitConfig, info: TargetInfo, f: Fixtures, other_key_source: str) -> list[str]:
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


def _delete_batch(client: ApiClient, batch_id: str) -> tuple[str | None, str | None]:
    """(a problem, the status that keeps the batch on the target)."""
    path = f"{BATCHES}/{batch_id}"
    for _ in range(2):  # a scheduled batch is moved back to draft first
        answer = client.delete(path)
        if answer.status in (200, 204, 404):
            return None, None
        read = client.get(path)
        data = read.data if read.status == 200 else None
        status = str(data.get("status", "")).lower() if isinstance(data, dict) else ""
        if status in ("sent", "failed"):
            return None, status
        if status != "scheduled":
            return f"DELETE {answer.path} answered {answer.status} (status {status or 'unknown'})", None
        client.patch(path, json={"status": "draft"})
    return f"batch call {batch_id!r} could not be deleted", None


def _created_id(body: Any) -> Any:
    data = body.get("data") if isinstance(body, dict) else None
    return data.get("batch_call_id") if isinstance(data, dict) else None


def _batches(body: Any) -> Iterator[Mapping[str, Any]]:
    data = body.get("data") if isinstance(body, dict) else None
    if isinstance(data, dict) and isinstance(data.get("batch_calls"), list):
        data = data["batch_calls"]  # a list page
    for item in data if isinstance(data, list) else [data]:
        if isinstance(item, dict):
            yield item


def _batch_states(body: Any) -> Iterator[tuple[Any, Any]]:
    for item in _batches(body):
        yield item.get("batch_call_id"), item.get("status")


READ_AFTER_WRITE = ReadAfterWrite(
    writes=frozenset({"create_batch_call", "update_batch_call", "execute_batch_call"}),
    deletes=frozenset({"delete_batch_call"}),
    reads=frozenset({"get_batch_call", "list_batch_calls", "search_batch_calls"}),
    path_id="batch_call_id",
    id_field="batch_call_id",
    fields=("name", "timezone", "scheduled_timestamp"),
    deleted_from=frozenset({"draft", "completed"}),  # Zudu deletes only those (400 otherwise)
    items=_batches,
)


# the batches the rules create: their caller number and agent, the numbers their tasks call
# (fictional 555-01xx numbers by default: executing a batch dials them), and a completed batch, if
# the target has one, for the rule that PATCH of a completed batch is refused
FIXTURES = (
    FixtureField(
        "from_number",
        "zudu",
        "from_number",
        "+14157774444",
        note="caller number of the batches the rules create",
    ),
    FixtureField(
        "zudu_agent",
        "zudu",
        "agent_id",
        "agent_7ff47846-c8a0-4304-ae13-88cfc31c1a03",  # seed 004's
        note="agent_<uuid> of those batches",
    ),
    FixtureField(
        "to_numbers",
        "zudu",
        "to_numbers",
        ("+12135550121", "+12135550122", "+12135550123"),  # 555-01xx: fictional
        note="at least three numbers the executed batches may dial",
        numbers=3,
    ),
    FixtureField(
        "completed_batch",
        "zudu",
        "completed_batch",
        None,
        note="optional: a completed batch (PATCH of it is refused)",
    ),
)

ZUDU = KitDialect(
    name="zudu",
    api="Zudu's batch-call API",
    recognizes=_recognizes,
    scheme_text="apiKey headers X-API-KEY and X-API-SECRET (Zudu)",
    probe_path="/batch-call/list",
    probe_params={"limit": 1},
    base_path_hint="give --base-url as the URL under which Zudu's paths (/batch-call/…) start, usually the "
    "server's origin",
    secret_name="X-API-SECRET",
    auth_headers=_auth_headers,
    schemathesis_auth=_schemathesis_auth,
    sandbox_credentials=("zk_test_sandbox", "zs_test_sandbox"),
    workspace_credentials=_workspace_credentials,
    checks=CHECKS,
    rule_modules=("contracts.dialects.zudu.rules",),
    # 400 `Cannot <action> batch call with status <s>` (the status rules), 422 for the cross-field
    # rules (a to_number twice or equal to from_number, an IANA zone, a trigger in the future); the
    # spec lists no error codes to read them from
    business_statuses={
        "create_batch_call": ("422",),
        "update_batch_call": ("400", "422"),
        "delete_batch_call": ("400",),
        "execute_batch_call": ("400",),
    },
    # docs/spec-notes.md, Zudu: execute from draft or scheduled, schedule from draft, unschedule from
    # scheduled; a sent batch completes or fails
    lifecycle={
        "draft": frozenset({"scheduled", "sent", "failed"}),
        "scheduled": frozenset({"draft", "sent", "failed"}),
        "sent": frozenset({"completed", "failed"}),
        "completed": frozenset(),
        "failed": frozenset(),
    },
    batch_states=_batch_states,
    read_after_write=READ_AFTER_WRITE,
    resources=Resources(
        creates={"create_batch_call": "batch_call"},
        created_id=_created_id,
        removers={"batch_call": _delete_batch},
        kept_because="Zudu deletes only draft or completed batches: delete a sent one once it has completed",
    ),
    tagged_fields={"create_batch_call": ("name", 255)},
    plan=_plan,
    fixtures=FIXTURES,
)
