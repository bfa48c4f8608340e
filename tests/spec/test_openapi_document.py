"""Checks on openapi.json itself: structural validity, every example, the response set of every
operation, and the links of create_batch_call.

Run: pytest tests/spec/test_openapi_document.py
"""

from __future__ import annotations

import json
from pathlib import Path

import openapi_walk as walk
import pytest
from jsonschema import FormatChecker
from openapi_spec_validator import validate as validate_openapi
from openapi_walk import ERROR_COMPONENTS, iter_operations, pointer
from referencing import Registry

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi.json"
DOC_URI = "urn:truedy:batch-calls:openapi"

# The contract outline: method, path, operationId, tag, success status.
OPERATIONS = [
    ("get", "/batch-calls", "list_batch_calls", "Batch Calls", "200"),
    ("post", "/batch-calls", "create_batch_call", "Batch Calls", "201"),
    ("get", "/batch-calls/{batch_call_id}", "get_batch_call", "Batch Calls", "200"),
    ("patch", "/batch-calls/{batch_call_id}", "update_batch_call", "Batch Calls", "200"),
    ("delete", "/batch-calls/{batch_call_id}", "delete_batch_call", "Batch Calls", "204"),
    ("post", "/batch-calls/bulk-delete", "bulk_delete_batch_calls", "Batch Calls", "200"),
    ("post", "/batch-calls/{batch_call_id}/schedule", "schedule_batch_call", "Batch Calls", "200"),
    ("post", "/batch-calls/{batch_call_id}/pause", "pause_batch_call", "Batch Calls", "200"),
    ("post", "/batch-calls/{batch_call_id}/resume", "resume_batch_call", "Batch Calls", "200"),
    ("post", "/batch-calls/{batch_call_id}/contacts", "upload_batch_call_contacts", "Batch Calls", "200"),
    ("get", "/batch-calls/{batch_call_id}/contacts", "list_batch_call_contacts", "Batch Calls", "200"),
    ("get", "/batch-calls/{batch_call_id}/analytics", "get_batch_call_analytics", "Batch Calls", "200"),
    ("get", "/agents", "list_agents", "Sandbox Resources", "200"),
    ("get", "/agents/{agent_id}", "get_agent", "Sandbox Resources", "200"),
    ("get", "/telephony/numbers", "list_phone_numbers", "Sandbox Resources", "200"),
    ("get", "/contacts", "list_contacts", "Sandbox Resources", "200"),
    ("post", "/contacts", "create_contact", "Sandbox Resources", "201"),
    ("get", "/contacts/{contact_id}", "get_contact", "Sandbox Resources", "200"),
    ("get", "/contacts/folders", "list_contact_folders", "Sandbox Resources", "200"),
    ("post", "/contacts/folders", "create_contact_folder", "Sandbox Resources", "201"),
    ("get", "/contacts/folders/{folder_id}", "get_contact_folder", "Sandbox Resources", "200"),
    ("post", "/contacts/import", "import_contacts", "Sandbox Resources", "200"),
]

# Error responses each operation must document (besides its success):
#   401, 422, 429, 431, 500, 503 always (422 at least for a malformed `Prefer` header, which every operation
#   declares); 400/413/415 when the operation takes a body; 409 on every POST (idempotency);
#   404 except where no id can be unknown (lists without path ids, bulk delete, folder creation).
ERR_BASE = {"401", "422", "429", "431", "500", "503"}
BODY = {"400", "413", "415"}
EXPECTED_ERRORS = {
    "list_batch_calls": ERR_BASE,
    "create_batch_call": ERR_BASE | BODY | {"404", "409"},
    "get_batch_call": ERR_BASE | {"404"},
    "update_batch_call": ERR_BASE | BODY | {"404"},
    "delete_batch_call": ERR_BASE | {"404"},
    "bulk_delete_batch_calls": ERR_BASE | BODY | {"409"},
    "schedule_batch_call": ERR_BASE | BODY | {"404", "409"},
    "pause_batch_call": ERR_BASE | {"404", "409"},
    "resume_batch_call": ERR_BASE | {"404", "409"},
    "upload_batch_call_contacts": ERR_BASE | BODY | {"404", "409"},
    "list_batch_call_contacts": ERR_BASE | {"404"},
    "get_batch_call_analytics": ERR_BASE | {"404"},
    "list_agents": ERR_BASE,
    "get_agent": ERR_BASE | {"404"},
    "list_phone_numbers": ERR_BASE,
    "list_contacts": ERR_BASE | {"404"},
    "create_contact": ERR_BASE | BODY | {"404", "409"},
    "get_contact": ERR_BASE | {"404"},
    "list_contact_folders": ERR_BASE,
    "create_contact_folder": ERR_BASE | BODY | {"409"},
    "get_contact_folder": ERR_BASE | {"404"},
    "import_contacts": ERR_BASE | BODY | {"404", "409"},
}
BUSINESS_422_CODES = {
    "invalid_state",
    "no_contacts",
    "agent_not_ready",
    "no_phone_numbers",
    "scheduled_at_in_past",
    "scheduling_failed",
    "idempotency_key_reused",
}


# --------------------------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def spec() -> dict:
    with SPEC_PATH.open(encoding="utf-8") as fh:
        return json.load(fh)


@pytest.fixture(scope="module")
def registry(spec) -> Registry:
    return walk.registry_for(spec, DOC_URI)


def resolve(registry: Registry, node):
    return walk.resolve(registry, node, DOC_URI)


def validator_for(registry: Registry, schema_ptr: str):
    return walk.validator_for(registry, schema_ptr, DOC_URI)


def collect_all_examples(spec, registry):
    return walk.collect_all_examples(spec, registry, DOC_URI)


# --------------------------------------------------------------------------------------------
# (a) the document is valid OpenAPI 3.1
# --------------------------------------------------------------------------------------------
def test_openapi_spec_validator_accepts_document(spec):
    assert spec["openapi"] == "3.1.0"
    validate_openapi(spec)


def test_document_is_pretty_printed_with_two_spaces(spec):
    text = SPEC_PATH.read_text(encoding="utf-8")
    assert text == json.dumps(spec, indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------------------------
# (b) every example validates against its schema
# --------------------------------------------------------------------------------------------
def test_every_example_is_valid(spec, registry):
    count, failures = walk.example_failures(spec, registry, DOC_URI)
    assert count > 150, "example walker found suspiciously few examples"
    assert not failures, "\n".join(failures)


def test_format_checking_is_active(registry):
    validator = validator_for(registry, pointer("components", "schemas", "ResponseMeta"))
    assert not validator.is_valid({"request_id": "req_x", "ts": "yesterday"})
    assert "date-time" in FormatChecker().checkers


def test_batch_call_examples_obey_counter_invariants(spec, registry):
    batch_ptr = pointer("components", "schemas", "BatchCallResponse")
    validator = validator_for(registry, batch_ptr)
    seen = 0
    for _, _, value in collect_all_examples(spec, registry):
        candidates = value.get("data") if isinstance(value, dict) else None
        for item in candidates if isinstance(candidates, list) else [candidates, value]:
            if isinstance(item, dict) and "completed_contacts" in item and validator.is_valid(item):
                seen += 1
                assert item["completed_contacts"] == item["successful_contacts"] + item["failed_contacts"]
                assert item["failed_contacts"] >= item["voicemail_contacts"] + item["no_answer_contacts"]
                assert item["completed_contacts"] <= item["total_contacts"]
    assert seen >= 5


def test_422_examples_cover_every_business_code(spec, registry):
    media = spec["components"]["responses"]["UnprocessableEntity"]["content"]["application/json"]
    assert media["schema"] == {
        "anyOf": [
            {"$ref": "#/components/schemas/HTTPValidationError"},
            {"$ref": "#/components/schemas/ErrorResponse"},
        ]
    }
    codes = {resolve(registry, e)["value"].get("error", {}).get("code") for e in media["examples"].values()}
    assert BUSINESS_422_CODES <= codes
    assert any("detail" in resolve(registry, e)["value"] for e in media["examples"].values())


# --------------------------------------------------------------------------------------------
# (c) operations: names, tags, summaries, and the full response set
# --------------------------------------------------------------------------------------------
def test_operations_match_contract_outline(spec):
    found = {(m, p, op.get("operationId")) for m, p, op in iter_operations(spec)}
    assert found == {(m, p, oid) for m, p, oid, _, _ in OPERATIONS}


# operations that store something: their 409 documents `quota_exceeded` beside the idempotency conflict
QUOTA_OPERATIONS = {
    "create_batch_call", "upload_batch_call_contacts", "create_contact", "create_contact_folder",
    "import_contacts",
}


@pytest.mark.parametrize("method,path,operation_id,tag,success", OPERATIONS, ids=[o[2] for o in OPERATIONS])
def test_operation_shape(spec, registry, method, path, operation_id, tag, success):
    op = spec["paths"][path][method]
    assert op.get("operationId") == operation_id
    assert op.get("tags") == [tag]
    assert op.get("summary", "").strip()
    assert op.get("description", "").strip()

    responses = op["responses"]
    assert set(responses) == {success} | EXPECTED_ERRORS[operation_id]
    for code, component in ERROR_COMPONENTS.items():
        if code == "409" and operation_id in QUOTA_OPERATIONS:
            component = "ConflictOrQuotaExceeded"
        if code in responses:
            assert responses[code] == {"$ref": f"#/components/responses/{component}"}

    # every response declares a required X-Request-Id header
    for code, resp in responses.items():
        headers = resolve(registry, resp).get("headers", {})
        assert "X-Request-Id" in headers, f"{operation_id} {code}"
        assert resolve(registry, headers["X-Request-Id"]).get("required") is True

    ok = resolve(registry, responses[success])
    if success == "201":
        assert resolve(registry, ok["headers"]["Location"])["required"] is True
    if method == "post":
        assert "Idempotent-Replayed" in ok["headers"]
    if success != "204":
        assert ok["content"]["application/json"].get("examples"), f"{operation_id} success example"

    params = [resolve(registry, p) for p in op.get("parameters", [])]
    names = {(p["in"], p["name"]) for p in params}
    assert ("header", "Prefer") in names
    assert (("header", "X-Idempotency-Key") in names) == (method == "post")

    body = op.get("requestBody")
    if body is not None:
        for media in body["content"].values():
            assert media.get("examples") or "example" in media, f"{operation_id} request example"
    if method in ("get", "delete"):
        assert body is None


def test_error_response_headers(spec, registry):
    responses = spec["components"]["responses"]
    assert resolve(registry, responses["Unauthorized"]["headers"]["WWW-Authenticate"])["required"] is True
    assert resolve(registry, responses["TooManyRequests"]["headers"]["Retry-After"])["required"] is True


def test_security_and_servers(spec):
    assert spec["security"] == [{"BearerAuth": []}]
    assert spec["components"]["securitySchemes"]["BearerAuth"] == {
        **spec["components"]["securitySchemes"]["BearerAuth"],
        "type": "http",
        "scheme": "bearer",
    }
    assert [s["url"] for s in spec["servers"]] == [
        "http://127.0.0.1:8080/api/public/v1",
        "https://api.truedy.ai/api/public/v1",
    ]
    assert {t["name"] for t in spec["tags"]} == {"Batch Calls", "Sandbox Resources"}
    assert all(t.get("description") for t in spec["tags"])


# --------------------------------------------------------------------------------------------
# (d) links from create_batch_call's 201
# --------------------------------------------------------------------------------------------
def test_create_batch_call_links(spec, registry):
    created = spec["paths"]["/batch-calls"]["post"]["responses"]["201"]
    links = {name: resolve(registry, link) for name, link in created.get("links", {}).items()}
    targets = {link["operationId"] for link in links.values()}
    assert {
        "get_batch_call",
        "update_batch_call",
        "delete_batch_call",
        "schedule_batch_call",
        "pause_batch_call",
        "resume_batch_call",
    } <= targets
    all_ids = {op["operationId"] for _, _, op in iter_operations(spec)}
    for name, link in links.items():
        assert link["operationId"] in all_ids, name
        assert link["parameters"] == {"batch_call_id": "$response.body#/data/id"}, name


def test_every_link_targets_a_real_operation(spec, registry):
    all_ids = {op["operationId"] for _, _, op in iter_operations(spec)}
    for name, link in spec["components"].get("links", {}).items():
        assert link["operationId"] in all_ids, name


def test_quota_exceeded_is_a_documented_409(spec, registry):
    code = spec["components"]["schemas"]["ErrorResponse"]["properties"]["error"]["properties"]["code"]
    assert "quota_exceeded" in code["x-error-codes"]["409"]
    response = spec["components"]["responses"]["ConflictOrQuotaExceeded"]
    examples = response["content"]["application/json"]["examples"]
    error = examples["quota_exceeded"]["value"]["error"]
    assert error["code"] == "quota_exceeded"
    assert set(error["details"]) == {"quota", "limit", "in_use", "requested"}
    assert "idempotency_request_in_progress" in examples  # the conflict every POST may meet stays
