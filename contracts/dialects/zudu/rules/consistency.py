"""Reads after writes: each write the spec documents followed by a read of the same batch. What the
reads must show is checked by `contracts.consistency` on every exchange of the suite (the
requirement `rules/read_after_write`); these rules make sure each kind of write is followed by one."""

from __future__ import annotations

from contracts.dialects.zudu.rules.support import BATCHES, NEEDS, create, execute, path, read
from contracts.rules import RuleContext, rule


@rule(
    "consistency.reads_after_writes",
    "create, PATCH, execute, delete: each followed by a read of the batch",
    "A read after a write shows what the write answered (`rules/read_after_write` says where not); a "
    "deleted draft reads 404.",
    needs=NEEDS,
)
def reads_after_writes(ctx: RuleContext) -> None:
    batch = create(ctx, "read after write")
    read(ctx, batch, "GET after create")
    patched = ctx.call("PATCH", path(batch), json={"name": f"{ctx.tag} reread"})
    ctx.expect(patched, 200, what="PATCH of a draft")
    read(ctx, batch, "GET after PATCH")
    ctx.expect(ctx.call("GET", f"{BATCHES}/list", params={"limit": 100}), 200, what="the list after PATCH")
    execute(ctx, batch)
    read(ctx, batch, "GET after execute")
    draft = create(ctx, "deleted then read")
    ctx.expect(ctx.call("DELETE", path(draft)), 200, what="DELETE of a draft")
    ctx.expect(ctx.call("GET", path(draft)), 404, what="GET of a deleted draft")
