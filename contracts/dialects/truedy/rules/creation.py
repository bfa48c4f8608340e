"""Creating a batch call: the 201, its defaults, field limits, and the 422 rules of create."""

from __future__ import annotations

from typing import Any

from contracts.dialects.truedy.rules.support import at, batch_body, create_batch
from contracts.exchange import TargetExchange
from contracts.rules import RuleContext, rule

DEFAULTS = {
    "status": "draft",
    "timezone": "UTC",
    "working_days": [1, 2, 3, 4, 5],
    "max_concurrent_calls": 10,
    "retry_failed": False,
    "max_retry_attempts": 0,
    "schedule_type": "immediate",
}


def _validation_locs(answer: TargetExchange) -> list[tuple[Any, ...]]:
    body = answer.body
    detail = body.get("detail") if isinstance(body, dict) else None
    if not isinstance(detail, list):
        return []
    return [
        tuple(item["loc"]) for item in detail if isinstance(item, dict) and isinstance(item.get("loc"), list)
    ]


def expect_validation(ctx: RuleContext, answer: TargetExchange, *locs: tuple[Any, ...], what: str) -> None:
    """A 422 HTTPValidationError that lists every one of `locs`."""
    ctx.expect(answer, 422, what=what)
    found = _validation_locs(answer)
    missing = [loc for loc in locs if loc not in found]
    if missing:
        ctx.fail(
            f"{what}: the 422 must be HTTPValidationError listing loc {', '.join(map(str, missing))}; "
            f"got {answer.content[:300]!r}"
        )


@rule(
    "create.created",
    "Create: 201 with Location, a draft with the documented defaults",
    "POST /batch-calls answers 201 with a Location header and the batch in draft with the documented "
    "defaults (seed 000); GET returns the same object.",
    needs=("ready_agent",),
)
def created(ctx: RuleContext) -> None:
    body = {"name": f"{ctx.tag} defaults", "agent_id": ctx.fixture("ready_agent")}
    answer = ctx.call("POST", "/batch-calls", json=body)
    ctx.expect(answer, 201, what="creating a batch call")
    data = answer.data
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        ctx.fail("the 201 has no data.id")
    location = answer.headers.get("location", "")
    if not location.rstrip("/").endswith(f"/batch-calls/{data['id']}"):
        ctx.fail(f"the Location header must point at /batch-calls/{data['id']}, got {location!r}")
    wrong = {k: data.get(k) for k, v in DEFAULTS.items() if data.get(k) != v}
    if wrong:
        ctx.fail(f"defaults differ from the documented ones {DEFAULTS}: got {wrong}")
    read = ctx.call("GET", f"/batch-calls/{data['id']}")
    ctx.expect(read, 200, what="reading the created batch")
    if read.data != data:
        ctx.fail("GET /batch-calls/{id} differs from the batch the 201 returned")


@rule(
    "create.unicode_name",
    "Create: a name with non-ASCII characters is stored as given",
    "Names are UTF-8 strings of 1–255 characters; accents, CJK and emoji are kept as given.",
    needs=("ready_agent",),
)
def unicode_name(ctx: RuleContext) -> None:
    name = f"{ctx.tag} Café de l'Été — 夏 ☕"
    batch = create_batch(ctx, "unused", name=name)
    if batch.get("name") != name:
        ctx.fail(f"the name came back as {batch.get('name')!r}, not {name!r}")
    patched = ctx.call("PATCH", f"/batch-calls/{batch['id']}", json={"name": name + " ✓"})
    ctx.expect(patched, 200, what="renaming a draft to a non-ASCII name")


@rule(
    "validation.max_concurrent_calls",
    "max_concurrent_calls outside 1–100: 422 at its loc",
    "max_concurrent_calls is 1–100 (seed 000); 0 and 101 are 422 HTTPValidationError at "
    "[body, max_concurrent_calls]; 1 and 100 are accepted.",
    needs=("ready_agent",),
)
def max_concurrent_calls(ctx: RuleContext) -> None:
    for value in (0, 101):
        answer = ctx.call("POST", "/batch-calls", json=batch_body(ctx, "range", max_concurrent_calls=value))
        expect_validation(
            ctx, answer, ("body", "max_concurrent_calls"), what=f"create with max_concurrent_calls {value}"
        )
    for value in (1, 100):
        batch = create_batch(ctx, "range", max_concurrent_calls=value)
        if batch.get("max_concurrent_calls") != value:
            ctx.fail(f"max_concurrent_calls {value} came back as {batch.get('max_concurrent_calls')!r}")


@rule(
    "validation.every_violation",
    "A body with several problems: 422 listing every one",
    "Request validation answers 422 HTTPValidationError listing every violation, not just the first.",
    needs=("ready_agent",),
)
def every_violation(ctx: RuleContext) -> None:
    body = batch_body(ctx, "violations", name="", max_concurrent_calls=0, max_retry_attempts=9)
    answer = ctx.call("POST", "/batch-calls", json=body)
    expect_validation(
        ctx,
        answer,
        ("body", "name"),
        ("body", "max_concurrent_calls"),
        ("body", "max_retry_attempts"),
        what="create with three invalid fields",
    )


@rule(
    "create.agent_not_ready",
    "Create with an agent that cannot call: 422 agent_not_ready",
    "An agent that is not active, or whose voice is not ready, is 422 `agent_not_ready`.",
    needs=("not_ready_agent", "inactive_agent"),
)
def agent_not_ready(ctx: RuleContext) -> None:
    for fixture in ("not_ready_agent", "inactive_agent"):
        answer = ctx.call(
            "POST", "/batch-calls", json=batch_body(ctx, fixture, agent_id=ctx.fixture(fixture))
        )
        ctx.expect(answer, 422, "agent_not_ready", what=f"create with the {fixture.replace('_', ' ')}")


@rule(
    "create.no_phone_numbers",
    "Create without a usable number: 422 no_phone_numbers",
    "No phone_number_ids and none assigned to the agent is 422 `no_phone_numbers`.",
    needs=("no_numbers_agent",),
)
def no_phone_numbers(ctx: RuleContext) -> None:
    body = batch_body(ctx, "no numbers", agent_id=ctx.fixture("no_numbers_agent"))
    answer = ctx.call("POST", "/batch-calls", json=body)
    ctx.expect(answer, 422, "no_phone_numbers", what="create with an agent that has no numbers")


@rule(
    "create.scheduled_at_in_past",
    "Create scheduled in the past: 422 scheduled_at_in_past",
    "scheduled_at must be in the future: a past one is 422 `scheduled_at_in_past`.",
    needs=("ready_agent",),
)
def create_in_past(ctx: RuleContext) -> None:
    ctx.call("GET", "/batch-calls", params={"limit": 1})  # learn the server's clock
    body = batch_body(ctx, "past", schedule_type="scheduled", scheduled_at=at(ctx, -2))
    answer = ctx.call("POST", "/batch-calls", json=body)
    ctx.expect(answer, 422, "scheduled_at_in_past", what="create with scheduled_at two days ago")
