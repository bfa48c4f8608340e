"""What Truedy's rule scenarios share: the server's clock, request bodies, batches in a given status.

A batch the rules create is named with the run's tag, uses the fixtures' ready agent (and folder
of contacts, when the target has one), and is scheduled 30 days ahead at most: no call is placed
before the kit deletes it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from contracts.exchange import TargetExchange
from contracts.rules import RuleContext

BATCHES = "/batch-calls"


def path(batch: dict[str, Any] | str, action: str = "") -> str:
    """The batch's path (`/batch-calls/{id}`), or that of one of its actions."""
    batch_id = batch if isinstance(batch, str) else batch["id"]
    return f"{BATCHES}/{batch_id}" + (f"/{action}" if action else "")


def server_now(ctx: RuleContext) -> datetime:
    """The server's clock, from the last response's meta.ts (a sandbox's clock may be simulated)."""
    for exchange in reversed(ctx.steps):
        body = exchange.body
        meta = body.get("meta") if isinstance(body, dict) else None
        ts = meta.get("ts") if isinstance(meta, dict) else None
        if isinstance(ts, str):
            try:
                return datetime.fromisoformat(ts.replace("Z", "+00:00"))
            except ValueError:
                break
    return datetime.now(UTC)


def at(ctx: RuleContext, days: float) -> str:
    """An RFC 3339 moment `days` from the server's now (negative: in the past)."""
    moment = server_now(ctx) + timedelta(days=days)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def expect_status(ctx: RuleContext, exchange: TargetExchange, *allowed: str, what: str) -> None:
    """The batch an answer carries (`data`) is in one of the `allowed` statuses."""
    data = exchange.data
    status = data.get("status") if isinstance(data, dict) else None
    if status not in allowed:
        ctx.fail(f"{what}: expected status {' or '.join(allowed)}, got {status!r}")


def batch_body(ctx: RuleContext, label: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": f"{ctx.tag} {label}", "agent_id": ctx.fixture("ready_agent")}
    folder = ctx.fixtures.get("contacts_folder")
    if folder:
        body |= {"contact_source": "folder", "contact_folder_id": folder}
    return body | fields


def create_batch(ctx: RuleContext, label: str, **fields: Any) -> dict[str, Any]:
    """A draft batch (with the fixture folder's contacts); the rule fails if it cannot be created."""
    created = ctx.call("POST", BATCHES, json=batch_body(ctx, label, **fields))
    ctx.expect(created, 201, what="creating a valid batch call")
    data = created.data
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        ctx.fail(f"{created.describe()} without data.id")
    return data


def scheduled_batch(ctx: RuleContext, label: str) -> dict[str, Any]:
    """A batch scheduled 30 days ahead: no call is placed before the kit deletes it."""
    batch = create_batch(ctx, label)
    answer = ctx.call("POST", path(batch, "schedule"), json={"scheduled_at": at(ctx, 30)})
    ctx.expect(answer, 200, what="scheduling a draft batch with contacts")
    data = answer.data
    if not isinstance(data, dict):
        ctx.fail(f"{answer.describe()} without a batch in data")
    return data
