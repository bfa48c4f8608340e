"""The third API's documented rules (`kit_third_api.openapi.json`), as the kit's `@rule` scenarios:
written outside `contracts/`, named by the profile (`kit_third_profile.CALLBACKS.rule_modules`)."""

from __future__ import annotations

from typing import Any

from contracts.rules import RuleContext, rule

CALLBACKS = "/callbacks"
NEEDS = ("callback_phone",)


def _create(ctx: RuleContext, **fields: Any) -> dict[str, Any]:
    body = {"phone": ctx.fixture("callback_phone"), "note": f"{ctx.tag} rule", **fields}
    answer = ctx.call("POST", CALLBACKS, json=body)
    ctx.expect(answer, 201, what="asking for a callback")
    created = answer.body
    if not isinstance(created, dict) or not isinstance(created.get("id"), str):
        ctx.fail(f"{answer.describe()} without an id")
    return created


@rule(
    "callbacks.created",
    "Ask for a callback: 201, pending, readable",
    "POST /callbacks answers 201 with the request, pending; GET /callbacks/{id} answers the same.",
    needs=NEEDS,
)
def created(ctx: RuleContext) -> None:
    callback = _create(ctx)
    if (callback.get("phone"), callback.get("status")) != (ctx.fixture("callback_phone"), "pending"):
        ctx.fail(f"a new request is pending for the phone sent, got {callback}")
    read = ctx.call("GET", f"{CALLBACKS}/{callback['id']}")
    ctx.expect(read, 200, what="reading the request")
    if read.body != callback:
        ctx.fail(f"GET answered {read.body}, the 201 {callback}")
    ctx.expect(ctx.call("DELETE", f"{CALLBACKS}/{callback['id']}"), 204, what="withdrawing it")


@rule(
    "callbacks.already_requested",
    "A second request for a pending phone: 422 already_requested",
    "A phone with a pending request cannot ask again: 422 `already_requested`.",
    needs=NEEDS,
)
def already_requested(ctx: RuleContext) -> None:
    first = _create(ctx)
    again = ctx.call("POST", CALLBACKS, json={"phone": ctx.fixture("callback_phone")})
    ctx.expect(again, 422, "already_requested", what="asking again for a pending phone")
    ctx.expect(ctx.call("DELETE", f"{CALLBACKS}/{first['id']}"), 204, what="withdrawing the first")


@rule(
    "callbacks.unknown",
    "An unknown id: 404 not_found",
    "GET and DELETE of an id that does not exist answer 404 `not_found`.",
)
def unknown(ctx: RuleContext) -> None:
    for method in ("GET", "DELETE"):
        answer = ctx.call(method, f"{CALLBACKS}/cb_contract_kit_missing")
        ctx.expect(answer, 404, "not_found", what=f"{method} of an unknown id")
