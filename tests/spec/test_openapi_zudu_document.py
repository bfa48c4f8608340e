"""Checks on openapi.zudu.json itself: structural validity, every example, the response set of every
operation, security, servers and the links of create_batch_call. Its sibling checks openapi.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openapi_walk as walk
import pytest
from openapi_spec_validator import validate as validate_openapi
from openapi_walk import ERROR_COMPONENTS, iter_operations
from referencing import Registry
from support import SEED_004, SEED_004_FIELDS

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi.zudu.json"
DOC_URI = "urn:zudu:batch-call:openapi"

# method, path, operationId, success status
OPERATIONS = [
    ("post", "/batch-call", "create_batch_call", "201"),
    ("get", "/batch-call/list", "list_batch_calls", "200"),
    ("post", "/batch-call/list", "search_batch_calls", "200"),
    ("get", "/batch-call/{batch_call_id}", "get_batch_call", "200"),
    ("patch", "/batch-call/{batch_call_id}", "update_batch_call", "200"),
    ("delete", "/batch-call/{batch_call_id}", "delete_batch_call", "200"),
    ("post", "/batch-call/{batch_call_id}/execute", "execute_batch_call", "200"),
    ("get", "/batch-call/{batch_call_id}/tasks", "list_batch_call_tasks", "200"),
]
# Every operation: 401, 422 (at least a malformed Prefer), 429, 431 (headers), 500, 503 (injected
# faults). A body: 400, 413, 415. A POST: 409 (idempotency). A path id: 404. A status rule: 400.
BASE = {"401", "422", "429", "431", "500", "503"}
BODY = {"400", "413", "415"}
EXPECTED_ERRORS = {
    "create_batch_call": BASE | BODY | {"409"},
    "list_batch_calls": BASE,
    "search_batch_calls": BASE | BODY | {"409"},
    "get_batch_call": BASE | {"404"},
    "update_batch_call": BASE | BODY | {"404"},
    "delete_batch_call": BASE | {"400", "404"},
    "execute_batch_call": BASE | {"400", "404", "409"},
    "list_batch_call_tasks": BASE | {"404"},
}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as fh:
        document: dict[str, Any] = json.load(fh)
    return document


@pytest.fixture(scope="module")
def registry(spec: dict[str, Any]) -> Registry:
    return walk.registry_for(spec, DOC_URI)


def resolve(registry: Registry, node: Any) -> Any:
    return walk.resolve(registry, node, DOC_URI)


def examples(spec: dict[str, Any], registry: Registry) -> list[walk.Example]:
    return list(walk.collect_all_examples(spec, registry, DOC_URI))


def test_openapi_spec_validator_accepts_document(spec: dict[str, Any]) -> None:
    assert spec["openapi"] == "3.1.0"
    validate_openapi(spec)


def test_document_is_pretty_printed_with_two_spaces(spec: dict[str, Any]) -> None:
    assert SPEC_PATH.read_text(encoding="utf-8") == json.dumps(spec, indent=2, ensure_ascii=False) + "\n"


def test_every_example_is_valid(spec: dict[str, Any], registry: Registry) -> None:
    count, failures = walk.example_failures(spec, registry, DOC_URI)
    assert count > 60, "example walker found suspiciously few examples"
    assert not failures, "\n".join(failures)


def test_seed_004_request_is_the_create_example(spec: dict[str, Any]) -> None:
    media = spec["paths"]["/batch-call"]["post"]["requestBody"]["content"]["application/json"]
    assert media["examples"]["seed_004"]["value"] == SEED_004


def test_the_batch_call_has_every_field_of_seed_004(spec: dict[str, Any]) -> None:
    batch = spec["components"]["schemas"]["BatchCall"]
    assert set(SEED_004_FIELDS) <= set(batch["required"]) == set(batch["properties"])


def test_batch_call_examples_obey_counter_invariants(spec: dict[str, Any], registry: Registry) -> None:
    validator = walk.validator_for(registry, walk.pointer("components", "schemas", "BatchCall"), DOC_URI)
    seen = 0
    for _, _, value in examples(spec, registry):
        data = value.get("data") if isinstance(value, dict) else None
        candidates = data.get("batch_calls", [data]) if isinstance(data, dict) else []
        for item in candidates:
            if isinstance(item, dict) and "picked_up" in item and validator.is_valid(item):
                seen += 1
                assert item["total"] == item["total_task_count"]
                assert item["picked_up"] <= item["completed"] <= item["total"]
                assert item["picked_up"] <= item["sent"] <= item["total"]
                if item["status"] == "completed":
                    assert item["completed"] == item["total"]
    assert seen >= 5


def test_error_examples_use_the_error_envelope(spec: dict[str, Any], registry: Registry) -> None:
    for name, response in spec["components"]["responses"].items():
        media = response["content"]["application/json"]
        assert media["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}, name
        for example in media["examples"].values():
            assert example["value"]["status"] == "error", name
    validation = spec["components"]["responses"]["UnprocessableEntity"]["content"]["application/json"]
    assert validation["examples"]["validation"]["value"]["errors"]


def test_operations_match_contract_outline(spec: dict[str, Any]) -> None:
    found = {(m, p, op.get("operationId")) for m, p, op in iter_operations(spec)}
    assert found == {(m, p, oid) for m, p, oid, _ in OPERATIONS}


# operations that store something: their 409 documents `quota_exceeded` beside the idempotency conflict
QUOTA_OPERATIONS = {
    "create_batch_call",
}


@pytest.mark.parametrize("method,path,operation_id,success", OPERATIONS, ids=[o[2] for o in OPERATIONS])
def test_operation_shape(
    spec: dict[str, Any], registry: Registry, method: str, path: str, operation_id: str, success: str
) -> None:
    op = spec["paths"][path][method]
    assert op["tags"] == ["Batch Calls"]
    assert op.get("summary", "").strip() and op.get("description", "").strip()
    responses = op["responses"]
    assert set(responses) == {success} | EXPECTED_ERRORS[operation_id]
    for code, component in ERROR_COMPONENTS.items():
        if code == "409" and operation_id in QUOTA_OPERATIONS:
            component = "ConflictOrQuotaExceeded"
        if code in responses:
            assert responses[code] == {"$ref": f"#/components/responses/{component}"}
    for code, response in responses.items():
        headers = resolve(registry, response).get("headers", {})
        assert resolve(registry, headers["X-Request-Id"])["required"] is True, f"{operation_id} {code}"
    ok = resolve(registry, responses[success])
    assert ok["content"]["application/json"]["examples"], operation_id
    names = {(p["in"], p["name"]) for p in (resolve(registry, p) for p in op.get("parameters", []))}
    assert ("header", "Prefer") in names
    assert (("header", "X-Idempotency-Key") in names) == (method == "post")
    body = op.get("requestBody")
    if method in ("get", "delete") or operation_id == "execute_batch_call":
        assert body is None
    else:
        for media in body["content"].values():
            assert media.get("examples"), f"{operation_id} request example"


def test_security_servers_and_tags(spec: dict[str, Any]) -> None:
    assert spec["security"] == [{"ApiKey": [], "ApiSecret": []}]  # both, together
    schemes = spec["components"]["securitySchemes"]
    assert (schemes["ApiKey"]["type"], schemes["ApiKey"]["in"], schemes["ApiKey"]["name"]) == (
        "apiKey", "header", "X-API-KEY")
    assert (schemes["ApiSecret"]["type"], schemes["ApiSecret"]["in"], schemes["ApiSecret"]["name"]) == (
        "apiKey", "header", "X-API-SECRET")
    assert spec["servers"][0]["url"] == "http://127.0.0.1:8080"
    assert [t["name"] for t in spec["tags"]] == ["Batch Calls"] and spec["tags"][0]["description"]


def test_create_links_to_every_follow_up(spec: dict[str, Any], registry: Registry) -> None:
    created = spec["paths"]["/batch-call"]["post"]["responses"]["201"]
    links = {name: resolve(registry, link) for name, link in created["links"].items()}
    assert {link["operationId"] for link in links.values()} == {
        "get_batch_call",
        "update_batch_call",
        "delete_batch_call",
        "execute_batch_call",
        "list_batch_call_tasks",
    }
    for name, link in links.items():
        assert link["parameters"] == {"batch_call_id": "$response.body#/data/batch_call_id"}, name
    every = {op["operationId"] for _, _, op in iter_operations(spec)}
    assert all(link["operationId"] in every for link in spec["components"]["links"].values())
