"""Reads after writes: each write the spec documents followed by a read of the same batch. What the
reads must show is checked by `contracts.consistency` on every exchange of the suite (the
requirement `rules/read_after_write`); these rules make sure each kind of write is followed by one."""

from __future__ import annotations

from contracts.dialects.truedy.rules.lifecycle import FOLDER
from contracts.dialects.truedy.rules.support import BATCHES, at, create_batch, path
from contracts.rules import RuleContext, rule


@rule(
    "consistency.reads_after_writes",
    "create, PATCH, schedule, pause, resume, delete: each followed by a read of the batch",
    "A read after a write shows what the write answered (`rules/read_after_write` says where not); a "
    "deleted draft reads 404.",
    needs=FOLDER,
)
def reads_after_writes(ctx: RuleContext) -> None:
    batch = create_batch(ctx, "read after write", max_concurrent_calls=4)
    ctx.expect(ctx.call("GET", path(batch)), 200, what="GET after create")
    patched = ctx.call("PATCH", path(batch), json={"name": f"{ctx.tag} reread", "max_concurrent_calls": 6})
    ctx.expect(patched, 200, what="PATCH of a draft")
    ctx.expect(ctx.call("GET", path(batch)), 200, what="GET after PATCH")
    ctx.expect(ctx.call("GET", BATCHES, params={"limit": 100}), 200, what="the list after PATCH")
    for action, body in (("schedule", {"scheduled_at": at(ctx, 30)}), ("pause", None), ("resume", None)):
        ctx.expect(ctx.call("POST", path(batch, action), json=body), 200, what=f"{action} of the batch")
        ctx.expect(ctx.call("GET", path(batch)), 200, what=f"GET after {action}")
    draft = create_batch(ctx, "deleted then read")
    ctx.expect(ctx.call("DELETE", path(draft)), 204, what="DELETE of a draft")
    ctx.expect(ctx.call("GET", path(draft)), 404, what="GET of a deleted draft")
