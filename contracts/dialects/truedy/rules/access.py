"""Who may see what: 401 without or with a bad key, 404 for unknown and foreign ids, HTTP-level errors."""

from __future__ import annotations

from typing import Any

from contracts.dialects.truedy.rules.support import batch_body, create_batch
from contracts.exchange import TargetExchange
from contracts.rules import RuleContext, rule

MISSING_BATCH = "batch_contract_kit_missing"
BATCH_OPERATIONS = (
    ("GET", ""),
    ("PATCH", ""),
    ("DELETE", ""),
    ("POST", "/schedule"),
    ("POST", "/pause"),
    ("POST", "/resume"),
    ("GET", "/contacts"),
    ("GET", "/analytics"),
)


def _expect_unauthorized(ctx: RuleContext, answer: TargetExchange, what: str) -> None:
    ctx.expect(answer, 401, "unauthorized", what=what)
    if not answer.headers.get("www-authenticate", "").lower().startswith("bearer"):
        ctx.fail(f"{what}: a 401 must carry 'WWW-Authenticate: Bearer …'")


@rule(
    "auth.missing_key",
    "No API key: 401 unauthorized",
    "A request without Authorization is 401 `unauthorized` with WWW-Authenticate: Bearer, before "
    "anything else is checked.",
)
def missing_key(ctx: RuleContext) -> None:
    _expect_unauthorized(ctx, ctx.call("GET", "/batch-calls", key=None), what="GET without a key")
    answer = ctx.call("POST", "/batch-calls", json={"name": ""}, key=None)
    _expect_unauthorized(ctx, answer, what="POST of an invalid body without a key")


@rule(
    "auth.invalid_key",
    "Unknown API key: 401 unauthorized",
    "A request with an unknown Bearer key is 401 `unauthorized`.",
)
def invalid_key(ctx: RuleContext) -> None:
    answer = ctx.call("GET", "/batch-calls", key="sk_contract_kit_not_a_key")
    _expect_unauthorized(ctx, answer, what="GET with an unknown key")
    answer = ctx.call("GET", "/batch-calls", headers={"Authorization": "Basic dXNlcjpwYXNz"}, key=None)
    _expect_unauthorized(ctx, answer, what="GET with Basic credentials")


def _expect_not_found(
    ctx: RuleContext, answer: TargetExchange, resource: str, resource_id: str, what: str
) -> None:
    ctx.expect(answer, 404, "not_found", what=what)
    body: Any = answer.body
    details = body.get("error", {}).get("details") if isinstance(body, dict) else None
    if not (
        isinstance(details, dict) and details.get("resource") == resource and details.get("id") == resource_id
    ):
        ctx.fail(f"{what}: details must be {{resource: {resource!r}, id: {resource_id!r}}}, got {details!r}")


@rule(
    "not_found.unknown_batch",
    "Unknown batch id: 404 not_found on every batch operation",
    "Every operation on a batch id that does not exist is 404 `not_found` with details {resource, id}.",
)
def unknown_batch(ctx: RuleContext) -> None:
    for method, suffix in BATCH_OPERATIONS:
        answer = ctx.call(
            method, f"/batch-calls/{MISSING_BATCH}{suffix}", json={} if method in ("PATCH", "POST") else None
        )
        _expect_not_found(
            ctx, answer, "batch_call", MISSING_BATCH, what=f"{method} …/{MISSING_BATCH}{suffix}"
        )


@rule(
    "not_found.unknown_agent",
    "Create with an unknown agent: 404 not_found (resource agent)",
    "A referenced agent that does not exist is 404 `not_found` with details {resource: agent, id}.",
)
def unknown_agent(ctx: RuleContext) -> None:
    answer = ctx.call(
        "POST", "/batch-calls", json=batch_body(ctx, "unknown agent", agent_id="agt_contract_kit_missing")
    )
    _expect_not_found(ctx, answer, "agent", "agt_contract_kit_missing", what="create with an unknown agent")


@rule(
    "isolation.foreign_batch",
    "Another workspace's batch: 404, never visible",
    "One API key is one workspace: another workspace's batch is 404 on every operation (never 403) "
    "and absent from its lists.",
    needs=("ready_agent", "other_workspace"),
)
def foreign_batch(ctx: RuleContext) -> None:
    batch_id = create_batch(ctx, "isolation")["id"]
    for method, suffix in BATCH_OPERATIONS:
        answer = ctx.call(
            method,
            f"/batch-calls/{batch_id}{suffix}",
            key=ctx.other_api_key,
            json={} if method in ("PATCH", "POST") else None,
        )
        _expect_not_found(
            ctx,
            answer,
            "batch_call",
            batch_id,
            what=f"{method} …/{{id}}{suffix} with the other workspace's key",
        )
    listed = ctx.call("GET", "/batch-calls", params={"limit": 100}, key=ctx.other_api_key)
    ctx.expect(listed, 200, what="listing with the other workspace's key")
    if any(isinstance(b, dict) and b.get("id") == batch_id for b in listed.data or []):
        ctx.fail("the other workspace's list shows this workspace's batch call")
    mine = ctx.call("GET", f"/batch-calls/{batch_id}")
    ctx.expect(mine, 200, what="the owner reading its batch after the other workspace tried to delete it")


@rule(
    "errors.invalid_json",
    "A body that is not JSON: 400 invalid_json",
    "A body that is not JSON, or not a JSON object, is 400 `invalid_json`.",
)
def invalid_json(ctx: RuleContext) -> None:
    headers = {"Content-Type": "application/json"}
    answer = ctx.call("POST", "/batch-calls", content=b'{"name": "unterminated', headers=headers)
    ctx.expect(answer, 400, "invalid_json", what="POST with a truncated JSON body")
    answer = ctx.call("POST", "/batch-calls", content=b"[1, 2]", headers=headers)
    ctx.expect(answer, 400, "invalid_json", what="POST with a JSON array body")


@rule(
    "errors.unsupported_media_type",
    "A non-JSON content type: 415 unsupported_media_type",
    "A JSON endpoint answers a body of another content type with 415 `unsupported_media_type`.",
)
def unsupported_media_type(ctx: RuleContext) -> None:
    answer = ctx.call("POST", "/batch-calls", content=b"name=x", headers={"Content-Type": "text/plain"})
    ctx.expect(answer, 415, "unsupported_media_type", what="POST /batch-calls with text/plain")


@rule(
    "errors.method_not_allowed",
    "A wrong method: 405 method_not_allowed with Allow",
    "A method the path does not serve is 405 `method_not_allowed` with an Allow header.",
)
def method_not_allowed(ctx: RuleContext) -> None:
    answer = ctx.call("PUT", "/batch-calls", json={})
    ctx.expect(answer, 405, "method_not_allowed", what="PUT /batch-calls")
    allowed = {m.strip().upper() for m in answer.headers.get("allow", "").split(",")}
    if not {"GET", "POST"} <= allowed:
        ctx.fail(f"the 405 must list GET and POST in Allow, got {answer.headers.get('allow')!r}")
