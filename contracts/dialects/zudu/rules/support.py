"""What Zudu's rule scenarios share: request bodies, batches in a given status, citations.

Zudu's rules (`access`, `lifecycle`, `listing`) follow seed 004 and the decisions in
docs/spec-notes.md, "Zudu (seed 004)"; where Zudu's own pages disagree they warn and cite both.
"""

from __future__ import annotations

import time
from typing import Any

from contracts.exchange import TargetExchange
from contracts.rules import RuleContext

BATCHES = "/batch-call"
NEEDS = ("from_number",)
DAY_MS = 86_400_000
NOTES = "docs/spec-notes.md, 'Zudu (seed 004)'"
# Zudu's pages against seed 004 (the numbers of spec-notes' "Where Zudu's pages disagree")
ON_MILLISECONDS = (
    "Zudu's pages disagree: the older create page says trigger_timestamp is Unix seconds, seed 004 says "
    f"milliseconds; seed 004 wins ({NOTES}, disagreement 1)"
)
ON_CASE = (
    "Zudu's pages disagree: the list/execute/update pages answer DRAFT, SENT, COMPLETED, seed 004 answers "
    f"lower case; seed 004 wins ({NOTES}, disagreement 2)"
)
ON_TIMEZONE = (
    "seed 004's own example answers timezone 'UTC' for a request that sent America/New_York; the "
    f"timezone given is echoed ({NOTES}, disagreement 3)"
)
ON_DEFAULT_STATUS = (
    "Zudu's pages disagree: the older create page says a batch without trigger_timestamp and send_now "
    "'defaults to immediate execution', seed 004 gives no default; no dialling unless asked, so draft "
    f"({NOTES}, disagreement 4)"
)
ON_DEFAULT_LIMIT = (
    "Zudu's list page says both 'default: 20' and 'if limit is not provided, ALL batch calls are "
    f"returned'; a page of 20 ({NOTES}, disagreement 5)"
)


def path(batch: dict[str, Any] | str, action: str = "") -> str:
    batch_id = batch if isinstance(batch, str) else batch["batch_call_id"]
    return f"{BATCHES}/{batch_id}" + (f"/{action}" if action else "")


def tasks(ctx: RuleContext, count: int = 2, **fields: Any) -> list[dict[str, Any]]:
    numbers = ctx.fixtures.to_numbers
    return [{"to_number": numbers[i % len(numbers)], **fields} for i in range(count)]


def body(ctx: RuleContext, label: str, *, count: int = 2, **fields: Any) -> dict[str, Any]:
    """A draft with `count` tasks, named with the run's tag."""
    created: dict[str, Any] = {
        "name": f"{ctx.tag} {label}",
        "from_number": ctx.fixture("from_number"),
        "tasks": tasks(ctx, count),
        "status": "draft",
    }
    if ctx.fixtures.zudu_agent:
        created["agent_id"] = ctx.fixtures.zudu_agent
    return created | fields


def data_of(ctx: RuleContext, exchange: TargetExchange, what: str) -> dict[str, Any]:
    data = exchange.data
    if not isinstance(data, dict):
        ctx.fail(f"{what}: {exchange.describe()} without an object in data")
    return data


def status_of(data: dict[str, Any]) -> str:
    return str(data.get("status", "")).lower()


def create(ctx: RuleContext, label: str, *, count: int = 2, **fields: Any) -> dict[str, Any]:
    """A new batch (a draft unless `fields` say otherwise); the rule fails if it cannot be created."""
    answer = ctx.call("POST", BATCHES, json=body(ctx, label, count=count, **fields))
    ctx.expect(answer, 201, what="creating a valid batch call")
    data = data_of(ctx, answer, "creating a valid batch call")
    if not isinstance(data.get("batch_call_id"), str):
        ctx.fail(f"{answer.describe()} without data.batch_call_id")
    return data


def execute(ctx: RuleContext, batch: dict[str, Any], what: str = "executing a draft") -> dict[str, Any]:
    answer = ctx.call("POST", path(batch, "execute"))
    ctx.expect(answer, 200, what=what)
    data = data_of(ctx, answer, what)
    if status_of(data) != "sent":
        ctx.fail(f"{what}: expected status sent, got {data.get('status')!r}")
    return data


def read(ctx: RuleContext, batch: dict[str, Any] | str, what: str) -> dict[str, Any]:
    answer = ctx.call("GET", path(batch))
    ctx.expect(answer, 200, what=what)
    return data_of(ctx, answer, what)


def expect_refused(ctx: RuleContext, answer: TargetExchange, what: str) -> None:
    """Zudu's answer to a status that does not allow the request: 400 with a sentence."""
    ctx.expect(answer, 400, what=what)
    if not (answer.error_sentence or "").strip():
        ctx.fail(f"{what}: the 400 must say why in 'error' (e.g. 'Cannot … batch call with status …')")


def server_now_ms(ctx: RuleContext) -> int:
    """The server's clock, from the newest created/updated timestamp it answered (else this host's)."""
    for exchange in reversed(ctx.steps):
        data = exchange.data
        if isinstance(data, dict):
            stamps = [data.get(k) for k in ("updated_timestamp", "created_timestamp")]
            known = [s for s in stamps if isinstance(s, int) and not isinstance(s, bool)]
            if known:
                return max(known)
    return round(time.time() * 1000)


def items(ctx: RuleContext, answer: TargetExchange, key: str, what: str) -> tuple[list[Any], dict[str, Any]]:
    """The list under data[key] and data.pagination of a list answer."""
    data = data_of(ctx, answer, what)
    found, pagination = data.get(key), data.get("pagination")
    if not isinstance(found, list) or not isinstance(pagination, dict):
        ctx.fail(
            f"{what}: a list answers data {{{key}: [...], pagination: {{...}}}}, got keys {sorted(data)}"
        )
    return found, pagination


def ids(found: list[Any], key: str = "batch_call_id") -> list[Any]:
    return [item.get(key) if isinstance(item, dict) else repr(item) for item in found]
