"""The profile of Truedy's Batch Calls API (openapi.json): every per-API fact the kit uses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from contracts.checks import (
    COMPLETE_ANSWER,
    CONTENT_TYPE,
    NO_SERVER_ERROR,
    TRUEDY_COUNTERS,
    TRUEDY_ENVELOPE,
    TRUEDY_REQUEST_ID,
    TRUEDY_SUCCESS_ENVELOPE,
)
from contracts.dialects.base import KitDialect
from contracts.dialects.schemes import bearer_scheme

if TYPE_CHECKING:
    from contracts.client import ApiClient
    from contracts.config import Fixtures, KitConfig
    from contracts.target import TargetInfo

# Operations that answer schema-valid requests with a documented 422 that a JSON schema cannot
# predict: business rules (invalid_state, agent_not_ready, …), cross-field rules (start/end time,
# IANA zone) and CSV rows checked line by line. Their 422s are expected, not findings.
BUSINESS_RULE_422 = (
    "create_batch_call",
    "update_batch_call",
    "schedule_batch_call",
    "pause_batch_call",
    "resume_batch_call",
    "upload_batch_call_contacts",
    "import_contacts",
)


def _auth_headers(key: str | None, secret: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key is not None else {}


def _schemathesis_auth(document: Mapping[str, Any], key: str, secret: str | None) -> Any:
    return {bearer_scheme(document): {"bearer": key}}


def _workspace_credentials(answer: Mapping[str, Any]) -> tuple[str, str | None] | None:
    key = answer.get("api_key")
    return (key, None) if isinstance(key, str) else None


def _plan(config: KitConfig, info: TargetInfo, other_key_source: str) -> list[str]:
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
    f = fixtures
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


TRUEDY = KitDialect(
    name="truedy",
    api="the Truedy Batch Calls API",
    probe_path="/batch-calls",
    probe_params={"limit": 1},
    base_path_hint="give --base-url as the API's base URL, e.g. http://HOST/api/public/v1 (or the origin "
    "of a server that serves the API at its root)",
    batch_path="/batch-calls",
    id_field="id",
    needs_secret=False,
    auth_headers=_auth_headers,
    schemathesis_auth=_schemathesis_auth,
    workspace_credentials=_workspace_credentials,
    checks=(
        COMPLETE_ANSWER,
        CONTENT_TYPE,
        NO_SERVER_ERROR,
        TRUEDY_ENVELOPE,
        TRUEDY_SUCCESS_ENVELOPE,
        TRUEDY_REQUEST_ID,
        TRUEDY_COUNTERS,
    ),
    rule_modules=("access", "creation", "idempotency", "lifecycle", "listing"),
    business_statuses={op: ("422",) for op in BUSINESS_RULE_422},
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
    creates={
        "create_batch_call": "batch_call",
        "create_contact_folder": "contact_folder",
        "create_contact": "contact",
    },
    tagged_fields={
        "create_batch_call": ("name", 255),
        "create_contact_folder": ("name", 255),
        "create_contact": ("last_name", 100),
    },
    delete_batch=_delete_batch,
    undeletable="",
    plan=_plan,
    id_bindings={
        "agents": ("body.agent_id", "query.agent_id", "path.agent_id"),
        "folders": ("body.contact_folder_id", "body.folder_id", "query.folder_id", "path.folder_id"),
        "numbers": ("body.phone_number_ids[*]",),
        "contacts": ("body.contact_ids[*]", "path.contact_id"),
    },
    discover_ids=_discover_ids,
)
