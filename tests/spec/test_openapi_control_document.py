"""Checks on openapi.control.json, the control API's own document (/_mock): structural validity, every
example, the outline and security of every operation, one error envelope, and the bounds it enforces.

Run: pytest tests/spec/test_openapi_control_document.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import openapi_walk as walk
import pytest
import yaml
from openapi_spec_validator import validate as validate_openapi
from openapi_walk import iter_operations, pointer
from referencing import Registry

from mock_server.engine.scopes import ScopeTable
from mock_server.engine.spec import load_spec
from mock_server.settings import default_control_spec_path

ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = ROOT / "openapi.control.json"
DOC_URI = "urn:batchcalls-sandbox:control:openapi"

WORLD = [{}, {"adminToken": []}, {"bearerKey": []}, {"zuduKey": [], "zuduSecret": []}]
SANDBOX = [{"adminToken": []}, {}]
OPEN: list[dict] = []

# The outline: method, path, operationId, tag, success status, security.
OPERATIONS = [
    ("get", "/health", "get_health", "Sandbox", "200", WORLD),
    ("post", "/reset", "reset_world", "Sandbox", "200", WORLD),
    ("post", "/workspaces", "create_workspace", "Workspaces", "201", SANDBOX),
    ("get", "/workspaces", "list_workspaces", "Workspaces", "200", SANDBOX),
    ("delete", "/workspaces/{workspace_id}", "delete_workspace", "Workspaces", "204", SANDBOX),
    ("get", "/clock", "get_clock", "Clock", "200", WORLD),
    ("post", "/clock/advance", "advance_clock", "Clock", "200", WORLD),
    ("get", "/events", "list_events", "Events and webhooks", "200", WORLD),
    ("get", "/webhooks", "get_webhook", "Events and webhooks", "200", WORLD),
    ("put", "/webhooks", "set_webhook", "Events and webhooks", "200", WORLD),
    ("get", "/webhooks/deliveries", "list_webhook_deliveries", "Events and webhooks", "200", WORLD),
    ("post", "/faults/scheduling", "fail_next_schedule", "Faults", "200", WORLD),
    ("post", "/faults/provider-error", "inject_provider_error", "Faults", "200", WORLD),
    ("get", "/faults", "list_faults", "Faults", "200", WORLD),
    ("post", "/faults", "add_fault", "Faults", "201", WORLD),
    ("delete", "/faults", "clear_faults", "Faults", "204", WORLD),
    ("delete", "/faults/{fault_id}", "remove_fault", "Faults", "204", WORLD),
    ("get", "/requests", "list_requests", "Request journal", "200", WORLD),
    ("get", "/workspaces/{workspace_id}/requests", "list_workspace_requests", "Request journal", "200",
     SANDBOX),
    ("get", "/requests/count", "count_requests", "Request journal", "200", WORLD),
    ("delete", "/requests", "clear_requests", "Request journal", "204", WORLD),
    ("post", "/readiness/start", "start_readiness", "Readiness", "201", WORLD),
    ("get", "/readiness", "get_readiness_report", "Readiness", "200", WORLD),
    ("get", "/metrics", "get_metrics", "Sandbox", "200", SANDBOX),
    ("get", "/openapi.json", "get_control_openapi", "Sandbox", "200", OPEN),
    ("get", "/console", "get_console", "Sandbox", "200", OPEN),
]

# Error responses each operation documents: 401 wherever credentials are read; 400/413/422 with a
# body; 403/415 on every write (what a page of another site can send unasked is refused); 422 with
# query parameters; the operation's own 404s and 409s.
BODY = {"400", "413", "422"}
WRITE = {"403", "415"}
EXPECTED_ERRORS = {
    "get_health": {"401"},
    "reset_world": {"401", "422"} | WRITE,
    "create_workspace": {"401", "409"} | BODY | WRITE,
    "list_workspaces": {"401"},
    "delete_workspace": {"401", "404", "409"} | WRITE,
    "get_clock": {"401"},
    "advance_clock": {"401", "409"} | BODY | WRITE,
    "list_events": {"401"},
    "get_webhook": {"401"},
    "set_webhook": {"401"} | BODY | WRITE,
    "list_webhook_deliveries": {"401"},
    "fail_next_schedule": {"401"} | WRITE,
    "inject_provider_error": {"401", "404", "409"} | BODY | WRITE,
    "list_faults": {"401"},
    "add_fault": {"401", "409"} | BODY | WRITE,
    "clear_faults": {"401"} | WRITE,
    "remove_fault": {"401", "404"} | WRITE,
    "list_requests": {"401", "422"},
    "list_workspace_requests": {"401", "404", "422"},
    "count_requests": {"401", "422"},
    "clear_requests": {"401"} | WRITE,
    "start_readiness": {"401", "409"} | WRITE,
    "get_readiness_report": {"401", "404", "422"},
    "get_metrics": {"401"},
    "get_control_openapi": set(),
    "get_console": set(),
}

ERROR_CODES = {
    "invalid_json": 400,
    "unauthorized": 401,
    "cross_origin_request": 403,
    "not_found": 404,
    "readiness_not_started": 404,
    "method_not_allowed": 405,
    "clock_not_manual": 409,
    "invalid_state": 409,
    "journal_disabled": 409,
    "workspace_limit_reached": 409,
    "fault_rule_limit_reached": 409,
    "default_workspace": 409,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "misdirected_request": 421,  # a Host the sandbox does not answer: on every path, before routing
    "validation_error": 422,
    "request_headers_too_large": 431,
    "service_unavailable": 503,  # serve --store, while PostgreSQL cannot be reached
}
ERROR_SCHEMAS = {"#/components/schemas/ControlError", "#/components/schemas/ControlValidationError"}


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


def schema_validator(registry: Registry, name: str):
    return walk.validator_for(registry, pointer("components", "schemas", name), DOC_URI)


def request_schema_ptr(spec, path: str, method: str) -> str:
    schema = spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return schema["$ref"].removeprefix("#")


# --------------------------------------------------------------------------------------------
# (a) the document is valid OpenAPI 3.1, shipped, and found by the settings
# --------------------------------------------------------------------------------------------
def test_openapi_spec_validator_accepts_document(spec):
    assert spec["openapi"] == "3.1.0"
    validate_openapi(spec)


def test_document_is_pretty_printed_with_two_spaces(spec):
    text = SPEC_PATH.read_text(encoding="utf-8")
    assert text == json.dumps(spec, indent=2, ensure_ascii=False) + "\n"


def test_settings_find_the_document_in_a_checkout():
    assert default_control_spec_path() == SPEC_PATH


def test_wheel_ships_the_document():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"openapi.control.json" = "mock_server/openapi.control.json"' in pyproject


def test_lint_covers_the_document():
    script = (ROOT / "scripts" / "lint-spec").read_text(encoding="utf-8")
    assert re.search(r"for spec in .*\bopenapi\.control\.json\b", script)


# --------------------------------------------------------------------------------------------
# (b) every example validates against its schema
# --------------------------------------------------------------------------------------------
def test_every_example_is_valid(spec, registry):
    count, failures = walk.example_failures(spec, registry, DOC_URI)
    assert count > 60, "example walker found suspiciously few examples"
    assert not failures, "\n".join(failures)


def test_format_checking_is_active(registry):
    clock = schema_validator(registry, "Clock")
    assert not clock.is_valid({"mode": "manual", "now": "yesterday", "speed": 1, "next_event_at": None})


# --------------------------------------------------------------------------------------------
# (c) operations: names, tags, security, descriptions, and the full response set
# --------------------------------------------------------------------------------------------
def test_operations_match_outline(spec):
    found = {(m, p, op.get("operationId")) for m, p, op in iter_operations(spec)}
    assert found == {(m, p, oid) for m, p, oid, *_ in OPERATIONS}


def test_operation_ids_are_unique_snake_case(spec):
    ids = [op["operationId"] for _, _, op in iter_operations(spec)]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", i) for i in ids), ids


def test_servers_tags_and_security_schemes(spec):
    assert [s["url"] for s in spec["servers"]] == ["/_mock"]
    assert all(t.get("description") for t in spec["tags"])
    assert {t["name"] for t in spec["tags"]} == {o[3] for o in OPERATIONS}
    schemes = spec["components"]["securitySchemes"]
    assert {k: {f: v for f, v in s.items() if f != "description"} for k, s in schemes.items()} == {
        "adminToken": {"type": "apiKey", "in": "header", "name": "X-Mock-Admin-Token"},
        "bearerKey": {"type": "http", "scheme": "bearer"},
        "zuduKey": {"type": "apiKey", "in": "header", "name": "X-API-KEY"},
        "zuduSecret": {"type": "apiKey", "in": "header", "name": "X-API-SECRET"},
    }
    assert all(s.get("description") for s in schemes.values())
    assert "security" not in spec  # every operation says its own


@pytest.mark.parametrize("method,path,operation_id,tag,success,security", OPERATIONS,
                         ids=[o[2] for o in OPERATIONS])
def test_operation_shape(spec, registry, method, path, operation_id, tag, success, security):
    op = spec["paths"][path][method]
    assert op["operationId"] == operation_id
    assert op.get("tags") == [tag]
    assert op.get("summary", "").strip()
    assert op.get("description", "").strip()
    assert op["security"] == security
    if security is WORLD:
        text = op["description"]
        for phrase in ("credentials the request carries", "default workspace", "--admin-token",
                       "admin token", "own credentials", "unknown key is `401`"):
            assert phrase in text, f"{operation_id}: {phrase!r}"
    if security is SANDBOX:
        assert "admin token" in op["description"]

    responses = op["responses"]
    # every operation may meet a PostgreSQL store that is down (serve --store): 503, nothing changed
    # and headers over the limit (431), answered before anything else
    assert set(responses) == {success} | EXPECTED_ERRORS[operation_id] | {"503", "431"}
    for code, resp in responses.items():
        header = resolve(registry, resolve(registry, resp)["headers"]["X-Request-Id"])
        assert header["required"] is True, f"{operation_id} {code}"
    ok = resolve(registry, responses[success])
    if success == "204":
        assert "content" not in ok
    else:
        assert all(media.get("examples") for media in ok["content"].values()), f"{operation_id} example"

    body = op.get("requestBody")
    if method in ("get", "delete"):
        assert body is None
    if body is not None:
        assert list(body["content"]) == ["application/json"]
        assert body["content"]["application/json"].get("examples"), f"{operation_id} request example"


def test_every_error_answer_is_the_control_envelope(spec, registry):
    """Every 4xx of every operation is a ControlError (422: ControlValidationError), and each example's
    code is one documented for that status."""
    seen = set()
    for _, _, op in iter_operations(spec):
        for status, resp in op["responses"].items():
            if status.startswith("2"):
                continue
            resp = resolve(registry, resp)
            assert list(resp["content"]) == ["application/json"], op["operationId"]
            media = resp["content"]["application/json"]
            expected = "ControlValidationError" if status == "422" else "ControlError"
            where = (op["operationId"], status)
            assert media["schema"] == {"$ref": f"#/components/schemas/{expected}"}, where
            assert media["examples"], (op["operationId"], status)
            for example in media["examples"].values():
                code = resolve(registry, example)["value"]["error"]["code"]
                assert ERROR_CODES[code] == int(status), (op["operationId"], status, code)
                seen.add(code)
    # 405 is answered for a path and 421 for a Host, not by an operation; every other code appears in one
    assert seen == set(ERROR_CODES) - {"method_not_allowed", "misdirected_request"}


def test_error_codes_are_documented_once(spec, registry):
    control_error = spec["components"]["schemas"]["ControlError"]
    assert control_error["x-error-codes"] == ERROR_CODES
    assert control_error["properties"]["error"]["properties"]["code"]["enum"] == list(ERROR_CODES)
    for code in ERROR_CODES:
        assert f"`{code}`" in spec["info"]["description"], code
    # a validation error is a ControlError too
    as_control_error = schema_validator(registry, "ControlError")
    for example in spec["components"]["schemas"]["ControlValidationError"]["examples"]:
        assert as_control_error.is_valid(example)


def test_only_the_open_operations_lack_a_4xx(spec):
    """The Redocly ignore file excuses exactly the operations that document no 4xx."""
    ignored = yaml.safe_load((ROOT / ".redocly.lint-ignore.yaml").read_text(encoding="utf-8"))
    excused = set(ignored["openapi.control.json"]["operation-4xx-response"])
    without_4xx = {
        pointer("paths", path, method, "responses")
        for method, path, op in iter_operations(spec)
        if not any(code.startswith("4") for code in op["responses"])
    }
    assert {"#" + p for p in without_4xx} == excused
    assert list(ignored) == ["openapi.control.json"]


# --------------------------------------------------------------------------------------------
# (d) request bodies: closed, and the bounds the engine enforces from them
# --------------------------------------------------------------------------------------------
def test_request_bodies_refuse_unknown_fields(spec, registry):
    bodies = 0
    for _, _, op in iter_operations(spec):
        if "requestBody" not in op:
            continue
        bodies += 1
        schema = resolve(registry, op["requestBody"]["content"]["application/json"]["schema"])
        branches = schema.get("oneOf", [schema])
        for branch in branches:
            assert branch.get("additionalProperties") is False, op["operationId"]
    assert bodies == 5


def body_validator(spec, registry, path: str, method: str):
    return walk.validator_for(registry, request_schema_ptr(spec, path, method), DOC_URI)


@pytest.mark.parametrize(
    "body,valid",
    [
        ({"seconds": 0}, True),
        ({"seconds": 3155760000}, True),  # 100 years
        ({"seconds": 3155760001}, False),
        ({"seconds": -1}, False),
        ({"seconds": "60"}, False),
        ({"until": "2027-03-02T09:00:00Z"}, True),
        ({"until": "tomorrow"}, False),
        ({"seconds": 60, "until": "2027-03-02T09:00:00Z"}, False),
        ({"seconds": 60, "extra": 1}, False),
        ({}, False),
    ],
)
def test_clock_advance_bounds(spec, registry, body, valid):
    assert body_validator(spec, registry, "/clock/advance", "post").is_valid(body) is valid


@pytest.mark.parametrize(
    "body,valid",
    [
        ({}, True),
        ({"clock": "manual", "speed": 1000000, "start_at": "2027-03-01T14:00:00Z", "seed": 42,
          "webhook_url": "http://127.0.0.1:9000/hooks"}, True),
        ({"webhook_url": None, "seed": -9223372036854775808}, True),
        ({"seed": 9223372036854775808}, False),
        ({"speed": 0}, False),
        ({"speed": 1000001}, False),
        ({"clock": "fast"}, False),
        ({"start_at": "soon"}, False),
        ({"webhook_url": "ftp://example.org/x"}, False),
        ({"seed": 1.5}, False),
        ({"name": "partner"}, False),
    ],
)
def test_workspace_request_bounds(spec, registry, body, valid):
    assert body_validator(spec, registry, "/workspaces", "post").is_valid(body) is valid


@pytest.mark.parametrize(
    "body,valid",
    [
        ({"status": 503}, True),
        ({"latency_ms": 60000}, True),
        ({"drop_connection": True, "probability": 1, "count": 1}, True),
        ({}, False),  # a rule needs an effect
        ({"latency_ms": 0}, False),
        ({"drop_connection": False}, False),
        ({"status": 404}, False),
        ({"status": 503, "latency_ms": 60001}, False),
        ({"status": 503, "probability": 0}, False),
        ({"status": 503, "count": 0}, False),
        ({"status": 503, "method": "PO ST"}, False),
        ({"status": 503, "path": ""}, False),
        ({"status": 503, "remaining": 3}, False),
    ],
)
def test_fault_rule_bounds(spec, registry, body, valid):
    assert body_validator(spec, registry, "/faults", "post").is_valid(body) is valid


@pytest.mark.parametrize(
    "body,valid",
    [
        ({"url": "https://partner.example.org/hooks", "secret": "s"}, True),
        ({"url": None}, True),
        ({"secret": ""}, False),
        ({"url": "not a url"}, False),
        ({"url": "https://x.example", "events": ["batch.completed"]}, False),
    ],
)
def test_webhook_request_bounds(spec, registry, body, valid):
    assert body_validator(spec, registry, "/webhooks", "put").is_valid(body) is valid


def test_journal_query_bounds(spec, registry):
    def names(path: str) -> dict:
        found = (resolve(registry, p) for p in spec["paths"][path]["get"]["parameters"])
        return {p["name"]: p for p in found}

    params = names("/requests")
    filters = {"method", "path", "operation_id", "status", "request_id", "since"}
    assert set(params) == filters | {"limit", "offset", "format"}
    assert params["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}
    assert params["offset"]["schema"]["minimum"] == 0
    assert params["status"]["schema"] == {"type": "integer", "minimum": 100, "maximum": 599}
    assert set(names("/requests/count")) == filters


def test_journal_entry_fields(registry):
    entry = schema_validator(registry, "JournalEntry").schema
    entry = resolve(registry, entry)
    assert set(entry["required"]) == set(entry["properties"]) == {
        "request_id", "received_at", "simulated_at", "workspace_id", "method", "path", "query",
        "operation_id", "request_headers", "request_body", "status", "response_headers", "response_body",
        "duration_ms", "validation_errors", "idempotent_replay", "fault", "truncated",
    }


def test_readiness_report_in_three_formats(spec):
    report = spec["paths"]["/readiness"]["get"]["responses"]["200"]["content"]
    assert set(report) == {"application/json", "text/markdown", "text/html"}
    checks = spec["components"]["schemas"]["ReadinessCheck"]["properties"]
    assert checks["status"]["enum"] == ["passed", "failed", "not_observed", "warning"]
    assert len(checks["id"]["enum"]) == 10


# what `security` tells clients, `x-scope` tells the sandbox (engine/scopes.py reads it at start-up)
SCOPE_OF_SECURITY = {"world": WORLD, "liveness": WORLD, "sandbox": SANDBOX, "open": OPEN}


def test_every_operation_declares_its_scope_as_its_security_says(spec):
    for method, path, operation in iter_operations(spec):
        scope = operation.get("x-scope")
        assert scope in SCOPE_OF_SECURITY, f"{method} {path}: x-scope {scope!r}"
        assert operation.get("security", spec.get("security")) == SCOPE_OF_SECURITY[scope], f"{method} {path}"
        for values in operation.get("x-scope-by-query", {}).values():
            assert set(values.values()) <= {"sandbox", "everything"}, f"{method} {path}"


def test_the_sandbox_reads_every_scope_the_document_declares():
    """The scopes as the engine reads them: a reset of everything only with `scope=all`, the
    workspace a deletion removes, the journal's own operations."""
    table = ScopeTable(load_spec(SPEC_PATH))
    assert table.classify("POST", "/_mock/reset", b"").scope == "world"
    assert table.classify("POST", "/_mock/reset", b"scope=workspace").scope == "world"
    everything = table.classify("POST", "/_mock/reset", b"scope=all")
    assert everything.scope == "everything" and everything.sandbox_wide and not everything.journaled
    assert table.classify("GET", "/_mock/workspaces", b"").sandbox_wide
    removed = table.classify("DELETE", "/_mock/workspaces/ws_1a2b", b"")
    assert removed.sandbox_wide and removed.removed_workspace == "ws_1a2b"
    assert not table.classify("GET", "/_mock/requests", b"").journaled
    assert table.classify("DELETE", "/_mock/requests", b"").journal == "clears"
    report = table.classify("GET", "/_mock/readiness", b"")
    assert report.journal == "reads" and report.journaled
    assert table.classify("HEAD", "/_mock/clock", b"").operation_id == "get_clock"
    assert table.classify("PUT", "/_mock/clock", b"").operation_id is None  # a 405: no operation
    assert table.classify("GET", "/api/public/v1/batch-calls", b"").operation_id is None
