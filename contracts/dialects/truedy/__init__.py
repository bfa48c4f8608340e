"""The profile of Truedy's Batch Calls API (openapi.json): every per-API fact the kit uses.

Its response checks are in `checks.py`, its rules in `rules/`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from contracts.client import ApiClient
from contracts.dialects.base import FixtureField, KitDialect, ReadAfterWrite
from contracts.dialects.schemes import bearer_scheme
from contracts.dialects.truedy.checks import CHECKS
from contracts.ledger import Resources

if TYPE_CHECKING:
    from contracts.config import KitConfig
    from contracts.fixtures import Fixtures
    from contracts.target import TargetInfo

# Operations whose schema-valid requests may still fail validation with a 422 HTTPValidationError:
# cross-field rules (start/end time, IANA zone, the whole batch re-validated) and CSV rows checked
# line by line. The business-rule 422s (invalid_state, agent_not_ready, …) need no entry: each
# operation's description names its codes, read from the spec (`spec.business_statuses`).
VALIDATED_BEYOND_SCHEMA = (
    "create_batch_call",
    "update_batch_call",
    "upload_batch_call_contacts",
    "import_contacts",
)


def _auth_headers(key: str | None, secret: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key is not None else {}


def _schemathesis_auth(document: Mapping[str, Any], key: str, secret: str | None) -> Any:
    return {bearer_scheme(document): {"bearer": key}}


def _recognizes(document: Mapping[str, Any]) -> bool:
    return bearer_scheme(document) is not None


def _workspace_credentials(answer: Mapping[str, Any]) -> tuple[str, str | None] | None:
    key = answer.get("api_key")
    return (key, None) if isinstance(key, str) else None


def _plan(config: KitConfig, info: TargetInfo, fixtures: Fixtures, other_key_source: str) -> list[str]:
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


def _delete_batch(client: ApiClient, batch_id: str) -> tuple[str | None, str | None]:
    path = f"/batch-calls/{batch_id}"
    for _ in range(2):  # a scheduled/active/paused batch is cancelled first, removed second
        answer = client.delete(path)
        if answer.status == 404:
            return None, None
        if answer.status != 204:
            return f"DELETE {answer.path} answered {answer.status}", None
        if client.get(path).status == 404:
            return None, None
    return f"batch call {batch_id!r} is still readable after two DELETEs", None


def _discover_ids(client: ApiClient, fixtures: Fixtures) -> dict[str, list[str]]:
    """The fixtures' agents and folders, plus numbers and contacts read from the target."""
    agent, folder = fixtures.get("ready_agent"), fixtures.get("contacts_folder")
    known: dict[str, list[str]] = {
        "agents": [a for a in (agent,) if a],
        "folders": [x for x in (folder, fixtures.get("empty_folder")) if x],
    }
    for name, path, params in (
        ("numbers", "/telephony/numbers", {"agent_id": agent}),
        ("contacts", "/contacts", {"folder_id": folder}),
    ):
        if not all(params.values()):
            continue
        answer = client.get(path, params={**params, "limit": 20})
        items = answer.data if answer.status == 200 and isinstance(answer.data, list) else []
        known[name] = [i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), str)]
    return known


def _created_id(body: Any) -> Any:
    data = body.get("data") if isinstance(body, dict) else None
    return data.get("id") if isinstance(data, dict) else None


def _batches(body: Any) -> Iterator[Mapping[str, Any]]:
    data = body.get("data") if isinstance(body, dict) else None
    for item in data if isinstance(data, list) else [data]:
        if isinstance(item, dict):
            yield item


def _batch_states(body: Any) -> Iterator[tuple[Any, Any]]:
    for item in _batches(body):
        yield item.get("id"), item.get("status")


READ_AFTER_WRITE = ReadAfterWrite(
    writes=frozenset({"create_batch_call", "update_batch_call", "schedule_batch_call", "pause_batch_call",
                      "resume_batch_call", "upload_batch_call_contacts"}),
    deletes=frozenset({"delete_batch_call"}),
    reads=frozenset({"get_batch_call", "list_batch_calls"}),
    path_id="batch_call_id",
    id_field="id",
    fields=("name", "phone_number_ids", "phone_rotation_strategy", "schedule_type", "scheduled_at",
            "timezone", "start_time", "end_time", "working_days", "max_concurrent_calls",
            "max_calls_per_day", "retry_failed", "max_retry_attempts", "total_contacts"),
    deleted_from=frozenset({"draft"}),  # a scheduled, active or paused batch is cancelled first
    items=_batches,
)


# the sandbox's ids are the defaults: every workspace starts with them
FIXTURES = (
    FixtureField(
        "ready_agent",
        "agents",
        "ready",
        "agt_sandbox_ready",
        note="active, voice ready, with outbound numbers",
    ),
    FixtureField(
        "no_numbers_agent",
        "agents",
        "no_numbers",
        "agt_sandbox_no_numbers",
        note="ready, no outbound number (null: skip that rule)",
    ),
    FixtureField(
        "not_ready_agent", "agents", "not_ready", "agt_sandbox_not_ready", note="active, voice not synced"
    ),
    FixtureField("inactive_agent", "agents", "inactive", "agt_sandbox_inactive", note="not active"),
    FixtureField(
        "contacts_folder",
        "folders",
        "with_contacts",
        "folder_sandbox_demo",
        note="at least one contact ('demo' is accepted too)",
        aliases=("demo",),
    ),
    FixtureField("empty_folder", "folders", "empty", "folder_sandbox_empty", note="no contacts"),
)

TRUEDY = KitDialect(
    name="truedy",
    api="the Truedy Batch Calls API",
    recognizes=_recognizes,
    scheme_text="an HTTP bearer scheme (Truedy)",
    probe_path="/batch-calls",
    probe_params={"limit": 1},
    base_path_hint="give --base-url as the API's base URL, e.g. http://HOST/api/public/v1 (or the origin "
    "of a server that serves the API at its root)",
    secret_name=None,
    auth_headers=_auth_headers,
    schemathesis_auth=_schemathesis_auth,
    sandbox_credentials=("sk_test_sandbox", None),
    workspace_credentials=_workspace_credentials,
    checks=CHECKS,
    rule_modules=("contracts.dialects.truedy.rules",),
    business_statuses={op: ("422",) for op in VALIDATED_BEYOND_SCHEMA},
    # BatchCallStatus: draft → scheduled → active → completed; scheduled|active → paused →
    # scheduled|active; scheduled|active|paused → cancelled; active → failed
    lifecycle={
        "draft": frozenset({"scheduled"}),
        "scheduled": frozenset({"active", "paused", "cancelled"}),
        "active": frozenset({"completed", "paused", "cancelled", "failed"}),
        "paused": frozenset({"scheduled", "active", "cancelled"}),
        "completed": frozenset(),
        "failed": frozenset(),
        "cancelled": frozenset(),
    },
    batch_states=_batch_states,
    read_after_write=READ_AFTER_WRITE,
    resources=Resources(
        creates={
            "create_batch_call": "batch_call",
            "create_contact_folder": "contact_folder",
            "create_contact": "contact",
        },
        created_id=_created_id,
        removers={"batch_call": _delete_batch},
    ),
    tagged_fields={
        "create_batch_call": ("name", 255),
        "create_contact_folder": ("name", 255),
        "create_contact": ("last_name", 100),
    },
    plan=_plan,
    fixtures=FIXTURES,
    id_bindings={
        "agents": ("body.agent_id", "query.agent_id", "path.agent_id"),
        "folders": ("body.contact_folder_id", "body.folder_id", "query.folder_id", "path.folder_id"),
        "numbers": ("body.phone_number_ids[*]",),
        "contacts": ("body.contact_ids[*]", "path.contact_id"),
    },
    discover_ids=_discover_ids,
)
