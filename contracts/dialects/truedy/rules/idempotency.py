"""X-Idempotency-Key: a replay answers the first response; another body with the same key is a 422."""

from __future__ import annotations

import uuid

from contracts.dialects.truedy.rules.support import batch_body
from contracts.rules import RuleContext, rule


@rule(
    "idempotency.replay",
    "Same key and body: the first response again, Idempotent-Replayed: true",
    "A POST replayed with the same X-Idempotency-Key and body returns the first response (same status "
    "and body) with Idempotent-Replayed: true, and creates nothing new.",
    needs=("ready_agent",),
)
def replay(ctx: RuleContext) -> None:
    headers = {"X-Idempotency-Key": f"contract-kit-{uuid.uuid4()}"}
    body = batch_body(ctx, "idempotent")
    first = ctx.call("POST", "/batch-calls", json=body, headers=headers)
    ctx.expect(first, 201, what="the first POST with an idempotency key")
    again = ctx.call("POST", "/batch-calls", json=body, headers=headers)
    if again.status != first.status or again.body != first.body:
        ctx.fail(
            f"the replay answered {again.status} with another body than the first {first.status} "
            f"(first id {first.data.get('id')!r}, replay {again.data and again.data.get('id')!r})"
        )
    if again.headers.get("idempotent-replayed", "").lower() != "true":
        ctx.fail("the replay must carry 'Idempotent-Replayed: true'")
    if first.headers.get("idempotent-replayed"):
        ctx.fail("the first response must not carry Idempotent-Replayed")


@rule(
    "idempotency.key_reused",
    "Same key, another body: 422 idempotency_key_reused",
    "The same X-Idempotency-Key with a different body is 422 `idempotency_key_reused`.",
    needs=("ready_agent",),
)
def key_reused(ctx: RuleContext) -> None:
    headers = {"X-Idempotency-Key": f"contract-kit-{uuid.uuid4()}"}
    first = ctx.call("POST", "/batch-calls", json=batch_body(ctx, "key one"), headers=headers)
    ctx.expect(first, 201, what="the first POST with an idempotency key")
    other = ctx.call("POST", "/batch-calls", json=batch_body(ctx, "key two"), headers=headers)
    ctx.expect(other, 422, "idempotency_key_reused", what="the same key with another body")
