"""Lists: pagination that adds up (total, has_more, no duplicate, no gap) and query limits."""

from __future__ import annotations

import math
from typing import Any

from contracts.dialects.truedy.rules.creation import expect_validation
from contracts.dialects.truedy.rules.support import create_batch
from contracts.rules import RuleContext, rule

MAX_PAGES = 8


def _key(item: Any) -> Any:
    """What identifies a list item: its id (a batch's contacts have contact_id), else the whole item."""
    if isinstance(item, dict):
        for name in ("id", "contact_id"):
            if isinstance(item.get(name), str):
                return item[name]
    return repr(item)


def walk(ctx: RuleContext, path: str, params: dict[str, Any]) -> None:
    """Read the whole list page by page and check that the pages add up to one consistent list."""
    first = ctx.call("GET", path, params={**params, "limit": 100})
    ctx.expect(first, 200, what=f"GET {path}")
    total = _pagination(ctx, first, path).get("total")
    if not isinstance(total, int) or total < 0:
        ctx.fail(f"GET {path}: pagination.total must be a non-negative integer, got {total!r}")
    everything = [_key(item) for item in first.data]
    size = max(1, math.ceil(min(total, 100) / 3))  # at least three pages when there are three items
    seen: list[Any] = []
    offset = 0
    for _ in range(MAX_PAGES):
        page = ctx.call("GET", path, params={**params, "limit": size, "offset": offset})
        ctx.expect(page, 200, what=f"GET {path} limit={size} offset={offset}")
        pagination = _pagination(ctx, page, path)
        items = page.data
        where = f"GET {path}?limit={size}&offset={offset}"
        if not isinstance(items, list) or len(items) > size:
            ctx.fail(
                f"{where}: returned {len(items) if isinstance(items, list) else items!r} items, "
                f"more than limit {size}"
            )
        expected = {"total": total, "limit": size, "offset": offset, "has_more": offset + len(items) < total}
        wrong = {k: pagination.get(k) for k, v in expected.items() if pagination.get(k) != v}
        if wrong:
            ctx.fail(f"{where}: pagination should be {expected}, got {wrong}")
        seen += [_key(item) for item in items]
        offset += len(items)
        if not pagination.get("has_more") or not items:
            break
    duplicates = sorted({i for i in seen if seen.count(i) > 1})
    if duplicates:
        ctx.fail(f"GET {path}: ids repeated across pages: {duplicates[:5]}")
    if total <= 100 and offset <= total and seen != everything[: len(seen)]:
        ctx.fail(
            f"GET {path}: the pages are not the list in order (a gap or a reordering): "
            f"pages {seen[:10]} vs one page {everything[:10]}"
        )
    if total <= size * MAX_PAGES and len(seen) != total:
        ctx.fail(f"GET {path}: the pages hold {len(seen)} items but total says {total}")


def _pagination(ctx: RuleContext, page: Any, path: str) -> dict[str, Any]:
    body = page.body
    pagination = body.get("pagination") if isinstance(body, dict) else None
    if not isinstance(pagination, dict) or not isinstance(page.data, list):
        ctx.fail(f"GET {path}: a list answers {{data: [...], meta, pagination}}")
    assert isinstance(pagination, dict)
    return pagination


@rule(
    "pagination.batch_calls",
    "Batch call pages add up: total, has_more, no duplicates or gaps",
    "Every page has at most `limit` items and pagination {total, limit, offset, has_more = offset + "
    "len(data) < total}; the pages in order are the list, without duplicates or gaps.",
    needs=("ready_agent",),
)
def batch_call_pages(ctx: RuleContext) -> None:
    for n in range(3):
        created = ctx.call(
            "POST",
            "/batch-calls",
            json={"name": f"{ctx.tag} page {n}", "agent_id": ctx.fixture("ready_agent")},
        )
        ctx.expect(created, 201, what="creating a batch call")
    walk(ctx, "/batch-calls", {"agent_id": ctx.fixture("ready_agent")})


@rule(
    "pagination.batch_contacts",
    "A batch's contact pages add up",
    "GET /batch-calls/{id}/contacts pages like every list.",
    needs=("ready_agent", "contacts_folder"),
)
def batch_contact_pages(ctx: RuleContext) -> None:
    batch = create_batch(ctx, "contact pages")
    walk(ctx, f"/batch-calls/{batch['id']}/contacts", {})


@rule("pagination.agents", "Agent pages add up", "GET /agents pages like every list.")
def agent_pages(ctx: RuleContext) -> None:
    walk(ctx, "/agents", {})


@rule(
    "pagination.query_limits",
    "limit outside 1–100 or a negative offset: 422 at the query loc",
    "limit is 1–100 and offset ≥ 0: otherwise 422 HTTPValidationError at [query, limit|offset].",
)
def query_limits(ctx: RuleContext) -> None:
    for params, loc in (({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"offset": -1}, "offset")):
        answer = ctx.call("GET", "/batch-calls", params=params)
        expect_validation(ctx, answer, ("query", loc), what=f"GET /batch-calls?{loc}={params[loc]}")
