"""Operations, parameters, bodies, responses, headers and security requirements."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from diff.documents import Doc, document, rules

from contracts.evolution.rules import Change

Changes = Callable[[Doc, Doc], list[Change]]


def api(**operation: Any) -> Doc:
    base: Doc = {"responses": {"200": {"description": "ok"}}}
    base.update(operation)
    return document(paths={"/things/{id}": {"get": base}})


def param(name: str, where: str = "query", **extra: Any) -> Doc:
    return {"name": name, "in": where, "schema": {"type": "string"}, **extra}


PATH_ID = param("id", "path", required=True)


def test_parameters(changes: Changes) -> None:
    old = api(parameters=[PATH_ID, param("q")])
    assert rules(changes(old, api(parameters=[PATH_ID]))) == ["request-parameter-removed"]
    assert rules(changes(old, api(parameters=[PATH_ID, param("q", required=True)]))) == [
        "request-parameter-became-required"
    ]
    assert rules(
        changes(old, api(parameters=[PATH_ID, param("q"), param("X-Key", "header", required=True)]))
    ) == ["request-parameter-added-required"]
    assert rules(changes(old, api(parameters=[PATH_ID, param("q", explode=False)]))) == [
        "request-parameter-style-changed"
    ]


def test_header_names_are_case_insensitive_and_path_parameters_match_by_position(changes: Changes) -> None:
    old = api(parameters=[PATH_ID, param("X-Key", "header")])
    renamed = document(
        paths={
            "/things/{thing}": {
                "get": {
                    "parameters": [param("thing", "path", required=True), param("x-key", "header")],
                    "responses": {"200": {"description": "ok"}},
                }
            }
        }
    )
    assert changes(old, renamed) == []


def test_responses_fall_back_to_ranges_and_default(changes: Changes) -> None:
    old = api(responses={"200": {"description": "ok"}, "404": {"description": "no"}})
    ranged = api(responses={"200": {"description": "ok"}, "4XX": {"description": "no"}})
    assert rules(changes(old, ranged)) == ["response-status-added"]  # 404 is still documented, as 4XX
    assert rules(changes(old, api(responses={"200": {"description": "ok"}}))) == ["response-status-removed"]
    assert rules(
        changes(
            old,
            api(
                responses={
                    "200": {"description": "ok"},
                    "201": {"description": "ok"},
                    "404": {"description": "no"},
                }
            ),
        )
    ) == ["response-success-status-added"]


def test_response_headers(changes: Changes) -> None:
    def headers(**found: Doc) -> Doc:
        return api(responses={"200": {"description": "ok", "headers": found}})

    required = {"required": True, "schema": {"type": "string"}}
    optional = {"schema": {"type": "string"}}
    assert rules(changes(headers(**{"X-Id": required}), headers())) == ["response-required-header-removed"]
    assert rules(changes(headers(**{"X-Id": optional}), headers())) == ["response-optional-header-removed"]
    assert rules(changes(headers(**{"X-Id": required}), headers(**{"x-id": optional}))) == [
        "response-header-became-optional"
    ]
    assert rules(changes(headers(), headers(**{"X-Id": optional}))) == ["response-header-added"]


def test_request_bodies_and_content_types(changes: Changes) -> None:
    def body(required: bool, *media: str) -> Doc:
        return api(
            requestBody={"required": required, "content": {m: {"schema": {"type": "object"}} for m in media}}
        )

    assert rules(changes(api(), body(True, "application/json"))) == ["request-body-added-required"]
    assert rules(changes(api(), body(False, "application/json"))) == ["request-body-added"]
    assert rules(changes(body(False, "application/json"), body(True, "application/json"))) == [
        "request-body-became-required"
    ]
    assert rules(changes(body(True, "application/json", "text/csv"), body(True, "application/json"))) == [
        "request-content-type-removed"
    ]
    assert changes(body(True, "application/json"), body(True, "application/json; charset=utf-8")) == []
    assert rules(changes(body(True, "application/json"), api())) == ["request-body-removed"]


def test_operations_removed_added_deprecated_renamed(changes: Changes) -> None:
    old = api(operationId="get_thing")
    gone = document(paths={"/other": {"get": {"responses": {"200": {"description": "ok"}}}}})
    assert rules(changes(old, gone)) == ["operation-added", "operation-removed"]
    assert rules(changes(old, api(operationId="get_thing", deprecated=True))) == ["operation-deprecated"]
    assert rules(changes(old, api(operationId="fetch_thing"))) == ["operation-id-changed"]


def with_security(doc: Doc, requirement: list[Doc] | None, **schemes: Doc) -> Doc:
    found = copy.deepcopy(doc)
    found["components"]["securitySchemes"] = schemes
    if requirement is not None:
        found["security"] = requirement
    return found


BEARER = {"type": "http", "scheme": "bearer"}
KEY = {"type": "apiKey", "in": "header", "name": "X-Key"}
OAUTH = {
    "type": "oauth2",
    "flows": {"clientCredentials": {"tokenUrl": "https://x/token", "scopes": {"r": "", "w": ""}}},
}


def test_security_requirements(changes: Changes) -> None:
    base = api()
    bearer = with_security(base, [{"Bearer": []}], Bearer=BEARER, Key=KEY)
    assert rules(changes(with_security(base, None, Bearer=BEARER), bearer)) == ["security-requirement-added"]
    assert rules(changes(bearer, with_security(base, None))) == ["security-removed"]
    assert rules(changes(bearer, with_security(base, [{"Key": []}], Bearer=BEARER, Key=KEY))) == [
        "security-alternative-added",
        "security-requirement-changed",
    ]
    both = with_security(base, [{"Bearer": []}, {"Key": []}], Bearer=BEARER, Key=KEY)
    assert rules(changes(bearer, both)) == ["security-alternative-added"]
    assert rules(changes(both, bearer)) == [
        "security-requirement-changed"
    ]  # clients sending X-Key are refused
    assert rules(
        changes(
            with_security(base, [{"Key": []}], Key=KEY),
            with_security(base, [{"Key": []}], Key={**KEY, "name": "X-Token"}),
        )
    ) == ["security-scheme-changed"]
    read = with_security(base, [{"OAuth": ["r"]}], OAuth=OAUTH)
    assert rules(changes(read, with_security(base, [{"OAuth": ["r", "w"]}], OAuth=OAUTH))) == [
        "security-scope-added"
    ]


def test_an_operations_own_security_overrides_the_documents(changes: Changes) -> None:
    old = with_security(api(), [{"Bearer": []}], Bearer=BEARER)
    public = with_security(api(security=[]), [{"Bearer": []}], Bearer=BEARER)
    assert rules(changes(old, public)) == ["security-removed"]
