"""Who may see what on Zudu's API: the X-API-KEY + X-API-SECRET pair (401), 404 for unknown and foreign
ids, and the HTTP-level errors (body not JSON, wrong method, request validation)."""

from __future__ import annotations

from typing import Any

from contracts.dialects.zudu.rules.support import BATCHES, NEEDS, body, create, path, read
from contracts.exchange import TargetExchange
from contracts.rules import RuleContext, rule

MISSING_BATCH = "batch_call_contract_kit_missing"
BATCH_OPERATIONS = (("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/execute"), ("GET", "/tasks"))
LIST = f"{BATCHES}/list"


def _expect_unauthorized(ctx: RuleContext, answer: TargetExchange, what: str) -> None:
    ctx.expect(answer, 401, what=what)
    if not (answer.error_sentence or "").strip():
        ctx.fail(f"{what}: the 401 must say why in 'error'")


@rule(
    "auth.missing_credentials",
    "No key, no secret, or only one of them: 401",
    "Both X-API-KEY and X-API-SECRET are required: a request without either (or both) is 401, before "
    "anything else is checked.",
)
def missing_credentials(ctx: RuleContext) -> None:
    key, secret = ctx.client.api_key, ctx.client.api_secret
    for sent_key, sent_secret, what in (
        (None, None, "without X-API-KEY and X-API-SECRET"),
        (key, None, "with X-API-KEY only"),
        (None, secret, "with X-API-SECRET only"),
    ):
        answer = ctx.call("GET", LIST, key=sent_key, secret=sent_secret)
        _expect_unauthorized(ctx, answer, what=f"GET {LIST} {what}")
    answer = ctx.call("POST", BATCHES, json={"tasks": []}, key=None, secret=None)
    _expect_unauthorized(ctx, answer, what="POST of an invalid body without credentials")


@rule(
    "auth.invalid_credentials",
    "A wrong key or a wrong secret: 401",
    "The key and the secret must be a valid pair: an unknown key, the right key with a wrong secret, or "
    "the two swapped are 401.",
)
def invalid_credentials(ctx: RuleContext) -> None:
    key, secret = ctx.client.api_key, ctx.client.api_secret
    for sent_key, sent_secret, what in (
        ("zk_contract_kit_not_a_key", secret, "an unknown X-API-KEY"),
        (key, "zs_contract_kit_not_the_secret", "the right X-API-KEY and a wrong X-API-SECRET"),
        (secret, key, "the key and the secret swapped"),
    ):
        answer = ctx.call("GET", LIST, key=sent_key, secret=sent_secret)
        _expect_unauthorized(ctx, answer, what=f"GET {LIST} with {what}")


def _expect_not_found(ctx: RuleContext, answer: TargetExchange, what: str) -> None:
    ctx.expect(answer, 404, what=what)
    if not (answer.error_sentence or "").strip():
        ctx.fail(f"{what}: the 404 must say what was not found in 'error'")


def _request(method: str) -> dict[str, Any]:
    return {"json": {}} if method in ("PATCH", "POST") else {}


@rule(
    "not_found.unknown_batch",
    "Unknown batch id: 404 on every batch operation",
    "GET, PATCH, DELETE, execute and tasks of a batch_call_id that does not exist are 404.",
)
def unknown_batch(ctx: RuleContext) -> None:
    for method, suffix in BATCH_OPERATIONS:
        answer = ctx.call(method, path(MISSING_BATCH) + suffix, **_request(method))
        _expect_not_found(ctx, answer, what=f"{method} …/{MISSING_BATCH}{suffix}")


@rule(
    "isolation.foreign_batch",
    "Another workspace's batch: 404, never listed",
    "One key pair is one workspace: another workspace's batch is 404 on every operation and absent from "
    "its lists.",
    needs=(*NEEDS, "other_workspace"),
)
def foreign_batch(ctx: RuleContext) -> None:
    batch = create(ctx, "isolation")
    other = {"key": ctx.other_api_key, "secret": ctx.other_api_secret}
    for method, suffix in BATCH_OPERATIONS:
        answer = ctx.call(method, path(batch) + suffix, **_request(method), **other)
        _expect_not_found(ctx, answer, what=f"{method} …/{{id}}{suffix} with the other workspace's pair")
    listed = ctx.call(
        "POST", LIST, json={"filter_criteria": {"name": [ctx.tag]}, "pagination": {"limit": 100}}, **other
    )
    ctx.expect(listed, 200, what="listing with the other workspace's pair")
    data = listed.data
    shown = data.get("batch_calls") if isinstance(data, dict) else None
    if any(isinstance(b, dict) and b.get("batch_call_id") == batch["batch_call_id"] for b in shown or []):
        ctx.fail("the other workspace's list shows this workspace's batch call")
    if str(read(ctx, batch, "the owner reading its batch").get("status", "")).lower() != "draft":
        ctx.fail("the other workspace's requests changed the batch")


@rule(
    "errors.invalid_json",
    "A body that is not JSON: 400",
    "A body that is not JSON, or not a JSON object, is 400 in the error envelope.",
)
def invalid_json(ctx: RuleContext) -> None:
    headers = {"Content-Type": "application/json"}
    for content in (b'{"from_number": "+1415', b"[1, 2]"):
        answer = ctx.call("POST", BATCHES, content=content, headers=headers)
        ctx.expect(answer, 400, what=f"POST {BATCHES} with the body {content.decode()}")


@rule(
    "errors.method_not_allowed",
    "A wrong method: 405 with Allow",
    "A method the path does not serve is 405 with an Allow header listing those it does.",
)
def method_not_allowed(ctx: RuleContext) -> None:
    answer = ctx.call("PUT", BATCHES, json={})
    ctx.expect(answer, 405, what=f"PUT {BATCHES}")
    if "POST" not in {m.strip().upper() for m in answer.headers.get("allow", "").split(",")}:
        ctx.fail(f"the 405 must list POST in Allow, got {answer.headers.get('allow')!r}")


@rule(
    "validation.create",
    "Create rules: 422 listing every violation",
    "A create with from_number not E.164, a to_number equal to from_number and another repeated is 422 with "
    "errors[] naming from_number and the tasks (field, location body), all at once (Zudu's create pages).",
    needs=NEEDS,
)
def create_validation(ctx: RuleContext) -> None:
    bad_caller = ctx.call("POST", BATCHES, json=body(ctx, "bad caller", from_number="4157774444"))
    _expect_fields(ctx, bad_caller, {"from_number"}, what="create with from_number not in E.164")
    caller, numbers = ctx.fixture("from_number"), ctx.fixtures.to_numbers
    tasks = [{"to_number": caller}, {"to_number": numbers[0]}, {"to_number": numbers[0]}]
    answer = ctx.call("POST", BATCHES, json=body(ctx, "bad tasks", tasks=tasks))
    _expect_fields(
        ctx,
        answer,
        {"tasks[0].to_number", "tasks[2].to_number"},
        what="create calling from_number and a number twice",
    )
    empty = ctx.call("POST", BATCHES, json=body(ctx, "no tasks", tasks=[]))
    _expect_fields(ctx, empty, {"tasks"}, what="create with no tasks")


def _expect_fields(ctx: RuleContext, answer: TargetExchange, fields: set[str], what: str) -> None:
    ctx.expect(answer, 422, what=what)
    found = answer.body.get("errors") if isinstance(answer.body, dict) else None
    named = {e.get("field") for e in found or [] if isinstance(e, dict) and e.get("location") == "body"}
    if not fields <= named:
        ctx.fail(f"{what}: the 422's errors must name {sorted(fields)} (location body), got {found!r}")
