"""Compare two OpenAPI documents operation by operation: every change, with its rule."""

from __future__ import annotations

from contracts.evolution.document import Location, Spec
from contracts.evolution.facts import SchemaFacts
from contracts.evolution.operations import (
    OperationRef,
    content,
    match_media,
    operations,
    parameters,
    response_key,
    schema_of,
)
from contracts.evolution.rules import Change
from contracts.evolution.schemas import SchemaComparison
from contracts.evolution.security import compare_security
from contracts.evolution.walk import Budget, OperationChanges, Sides


def compare(old: Spec, new: Spec, budget: Budget | None = None) -> list[Change]:
    """Every change from OLD to NEW, operation by operation in OLD's order, then added operations."""
    sides = Sides(old, new, SchemaFacts(old), SchemaFacts(new), budget or Budget())
    old_ops, new_ops = operations(old), operations(new)
    changes: list[Change] = []
    for key, old_op in old_ops.items():
        noted = OperationChanges(sides, old_op.label)
        new_op = new_ops.get(key)
        if new_op is None:
            path_item = new.root.child("paths", old_op.template)
            where = path_item if new.get(path_item) is not None else new.root.child("paths")
            noted.add("operation-removed", f"{old_op.label} was removed", old_op.at, where)
        else:
            noted.operation = new_op.label
            _operation(noted, old_op, new_op)
        changes.extend(noted.changes)
    for key, new_op in new_ops.items():
        if key not in old_ops:
            noted = OperationChanges(sides, new_op.label)
            noted.add("operation-added", f"{new_op.label} was added", old.root.child("paths"), new_op.at)
            changes.extend(noted.changes)
    return changes


def _operation(noted: OperationChanges, old_op: OperationRef, new_op: OperationRef) -> None:
    old, new = noted.sides.old, noted.sides.new
    before, after = old.value(old_op.at), new.value(new_op.at)
    if after.get("deprecated") is True and before.get("deprecated") is not True:
        noted.add(
            "operation-deprecated", f"{new_op.label} is deprecated", old_op.at, new_op.at.child("deprecated")
        )
    if before.get("operationId") != after.get("operationId") and "operationId" in before:
        noted.add(
            "operation-id-changed",
            f"operationId {before.get('operationId')} → {after.get('operationId', 'none')}",
            old_op.at.child("operationId"),
            new_op.at.child("operationId"),
        )
    compare_security(noted, old_op, new_op)
    schemas = SchemaComparison(noted)
    _parameters(noted, schemas, old_op, new_op)
    _request_body(noted, schemas, old_op, new_op)
    _responses(noted, schemas, old_op, new_op)


def _parameters(
    noted: OperationChanges, schemas: SchemaComparison, old_op: OperationRef, new_op: OperationRef
) -> None:
    old_params = parameters(noted.sides.old, old_op)
    new_params = parameters(noted.sides.new, new_op)
    for key, before in old_params.items():
        after = new_params.get(key)
        if after is None:
            noted.add("request-parameter-removed", f"{before.label} was removed", before.at, new_op.at)
            continue
        if after.required and not before.required:
            noted.add(
                "request-parameter-became-required", f"{after.label} became required", before.at, after.at
            )
        elif before.required and not after.required:
            noted.add(
                "request-parameter-became-optional", f"{after.label} became optional", before.at, after.at
            )
        if before.style != after.style:
            noted.add(
                "request-parameter-style-changed",
                f"{after.label}: style/explode {before.style} → {after.style}",
                before.at,
                after.at,
            )
        if before.schema is not None and after.schema is not None:
            schemas.compare((before.schema,), (after.schema,), "request", after.label)
    for key, after in new_params.items():
        if key not in old_params:
            rule = "request-parameter-added-required" if after.required else "request-parameter-added"
            words = " (required)" if after.required else ""
            noted.add(rule, f"{after.label} was added{words}", old_op.at, after.at)


def _request_body(
    noted: OperationChanges, schemas: SchemaComparison, old_op: OperationRef, new_op: OperationRef
) -> None:
    old, new = noted.sides.old, noted.sides.new
    old_body = _body(old, old_op)
    new_body = _body(new, new_op)
    if old_body is None and new_body is None:
        return
    if old_body is None and new_body is not None:
        required = new.mapping(new_body).get("required") is True
        rule = "request-body-added-required" if required else "request-body-added"
        noted.add(rule, f"a request body was added{' (required)' if required else ''}", old_op.at, new_body)
        return
    if new_body is None and old_body is not None:
        noted.add("request-body-removed", "the request body was removed", old_body, new_op.at)
        return
    assert old_body is not None and new_body is not None
    was, now = old.mapping(old_body).get("required") is True, new.mapping(new_body).get("required") is True
    if now and not was:
        noted.add("request-body-became-required", "the request body became required", old_body, new_body)
    elif was and not now:
        noted.add("request-body-became-optional", "the request body became optional", old_body, new_body)
    _content(noted, schemas, old_body, new_body, "request", "request body")


def _body(spec: Spec, operation: OperationRef) -> Location | None:
    raw = spec.value(operation.at)
    if "requestBody" not in raw:
        return None
    at, _ = spec.resolve(operation.at.child("requestBody"))
    return at


def _content(
    noted: OperationChanges,
    schemas: SchemaComparison,
    old_holder: Location,
    new_holder: Location,
    side: str,
    place: str,
) -> None:
    old_media, new_media = content(noted.sides.old, old_holder), content(noted.sides.new, new_holder)
    several = len(old_media) > 1
    for media, old_at in old_media.items():
        match = match_media(media, list(new_media))
        if match is None:
            noted.add(
                f"{side}-content-type-removed",
                f"the {place} no longer comes as {media}",
                old_at,
                new_holder.child("content") if new_media else new_holder,
            )
            continue
        old_schema, new_schema = (
            schema_of(noted.sides.old, old_at),
            schema_of(noted.sides.new, new_media[match]),
        )
        if old_schema is not None and new_schema is not None:
            schemas.compare((old_schema,), (new_schema,), side, f"{place} ({media})" if several else place)
    for media, new_at in new_media.items():
        if match_media(media, list(old_media)) is None:
            noted.add(
                f"{side}-content-type-added",
                f"the {place} may now come as {media}",
                old_holder.child("content") if old_media else old_holder,
                new_at,
            )


def _responses(
    noted: OperationChanges, schemas: SchemaComparison, old_op: OperationRef, new_op: OperationRef
) -> None:
    old, new = noted.sides.old, noted.sides.new
    old_all = old.get(old_op.at.child("responses"))
    new_all = new.get(new_op.at.child("responses"))
    old_all = old_all if isinstance(old_all, dict) else {}
    new_all = new_all if isinstance(new_all, dict) else {}
    for status in old_all:
        found = response_key(list(new_all), str(status))
        if found is None:
            noted.add(
                "response-status-removed",
                f"response {status} was removed",
                old_op.at.child("responses", status),
                new_op.at.child("responses"),
            )
            continue
        old_at, _ = old.resolve(old_op.at.child("responses", status))
        new_at, _ = new.resolve(new_op.at.child("responses", found))
        _content(noted, schemas, old_at, new_at, "response", f"response {status} body")
        _headers(noted, schemas, old_at, new_at, str(status))
    for status in new_all:
        if status not in old_all:
            success = str(status).startswith("2")
            rule = "response-success-status-added" if success else "response-status-added"
            noted.add(
                rule,
                f"response {status} was added",
                old_op.at.child("responses"),
                new_op.at.child("responses", status),
            )


def _headers(
    noted: OperationChanges, schemas: SchemaComparison, old_at: Location, new_at: Location, status: str
) -> None:
    old, new = noted.sides.old, noted.sides.new
    old_h = {str(n).lower(): (n, old_at.child("headers", n)) for n in old.mapping(old_at.child("headers"))}
    new_h = {str(n).lower(): (n, new_at.child("headers", n)) for n in new.mapping(new_at.child("headers"))}
    old_h.pop("content-type", None)
    new_h.pop("content-type", None)
    for key, (name, at) in old_h.items():
        before_at, before = old.resolve(at)
        required_before = isinstance(before, dict) and before.get("required") is True
        if key not in new_h:
            rule = (
                "response-required-header-removed" if required_before else "response-optional-header-removed"
            )
            noted.add(rule, f"response {status} header `{name}` was removed", before_at, new_at)
            continue
        after_at, after = new.resolve(new_h[key][1])
        if required_before and not (isinstance(after, dict) and after.get("required") is True):
            noted.add(
                "response-header-became-optional",
                f"response {status} header `{name}` may now be missing",
                before_at,
                after_at,
            )
        if isinstance(before, dict) and isinstance(after, dict) and "schema" in before and "schema" in after:
            schemas.compare(
                (before_at.child("schema"),),
                (after_at.child("schema"),),
                "response",
                f"response {status} header `{name}`",
            )
    for key, (name, at) in new_h.items():
        if key not in old_h:
            noted.add("response-header-added", f"response {status} header `{name}` was added", old_at, at)
