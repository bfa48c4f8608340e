"""Zudu's lists: GET /batch-call/list pages (0-based page, limit 1–100) that add up, and the filters
of POST /batch-call/list."""

from __future__ import annotations

import math
from typing import Any

from contracts.dialects.zudu.rules.support import (
    BATCHES,
    DAY_MS,
    NEEDS,
    ON_DEFAULT_LIMIT,
    create,
    data_of,
    ids,
    items,
    server_now_ms,
)
from contracts.exchange import TargetExchange
from contracts.rules import RuleContext, rule

LIST = f"{BATCHES}/list"
MAX_PAGES = 8
# a stable order: created_at never changes, unlike the default updated_at of batches being dialled
ORDER = {"sort_by": "created_at", "sort_order": "descending"}


def _check_page(
    ctx: RuleContext, answer: TargetExchange, where: str, page: int, limit: int, total: int | None
) -> tuple[list[Any], int]:
    """The page's batch calls and total_count, after checking its pagination adds up."""
    ctx.expect(answer, 200, what=where)
    found, pagination = items(ctx, answer, "batch_calls", where)
    count = pagination.get("total_count")
    if not isinstance(count, int) or count < 0:
        ctx.fail(f"{where}: pagination.total_count must be a non-negative integer, got {count!r}")
    if len(found) > limit:
        ctx.fail(f"{where}: returned {len(found)} batch calls, more than limit {limit}")
    expected = {
        "page": page,
        "limit": limit,
        "total_count": count if total is None else total,
        "total_pages": math.ceil(count / limit),
    }
    wrong = {k: pagination.get(k) for k, v in expected.items() if pagination.get(k) != v}
    if wrong:
        ctx.fail(f"{where}: pagination should be {expected}, got {wrong}")
    returned = data_of(ctx, answer, where).get("returned_count")
    if returned != len(found):
        ctx.fail(f"{where}: returned_count {returned!r} but {len(found)} batch calls")
    return found, count


def _walk(ctx: RuleContext, fetch: Any, label: str, size: int, total: int) -> list[Any]:
    """Every page of `size` in order (at most MAX_PAGES): the ids seen."""
    seen: list[Any] = []
    for page in range(MAX_PAGES):
        where = f"{label} page={page} limit={size}"
        found, _ = _check_page(ctx, fetch(page, size), where, page, size, total)
        seen += ids(found)
        if not found or page + 1 >= math.ceil(total / size):
            break
    duplicates = sorted({str(i) for i in seen if seen.count(i) > 1})
    if duplicates:
        ctx.fail(f"{label}: batch calls repeated across pages: {duplicates[:5]}")
    return seen


@rule(
    "pagination.batch_calls",
    "Batch call pages add up: page, limit, total_count, total_pages; no duplicates or gaps",
    "GET /batch-call/list?page&limit (page 0-based, limit 1–100) answers at most `limit` batch calls with "
    "pagination {page, limit, total_count, total_pages = ⌈total_count / limit⌉} and returned_count; the "
    "pages in order are the whole list without duplicates or gaps; POST /batch-call/list pages alike.",
    needs=NEEDS,
)
def batch_call_pages(ctx: RuleContext) -> None:
    mine = [create(ctx, f"page {n}")["batch_call_id"] for n in range(3)]

    def get(page: int, limit: int) -> TargetExchange:
        return ctx.call("GET", LIST, params={**ORDER, "page": page, "limit": limit})

    everything, total = _check_page(ctx, get(0, 100), "GET /batch-call/list limit=100", 0, 100, None)
    size = max(1, math.ceil(min(total, 100) / 3))  # three pages of what one page of 100 holds
    seen = _walk(ctx, get, "GET /batch-call/list", size, total)
    if total <= 100 and seen != ids(everything)[: len(seen)]:
        ctx.fail(
            "GET /batch-call/list: the pages are not the list in order (a gap or a reordering): "
            f"pages {seen[:10]} vs one page {ids(everything)[:10]}"
        )
    if total <= size * MAX_PAGES and len(seen) != total:
        ctx.fail(f"GET /batch-call/list: the pages hold {len(seen)} batch calls but total_count says {total}")

    def search(page: int, limit: int) -> TargetExchange:
        criteria = {
            "filter_criteria": {"name": [f"{ctx.tag} page"]},
            "pagination": {"page": page, "limit": limit},
        }
        return ctx.call("POST", LIST, json={**criteria, **ORDER})

    found = _walk(ctx, search, "POST /batch-call/list (name filter)", 1, 3)
    if sorted(found) != sorted(mine):
        ctx.fail(f"POST /batch-call/list by name: pages of 1 hold {found}, expected the 3 batches {mine}")


@rule(
    "pagination.query_limits",
    "limit outside 1–100 or a negative page: 422 naming the parameter",
    "limit is 1–100 and page ≥ 0: otherwise 422 {message, status: error, error, errors: [{field, "
    "location: query, …}]}.",
)
def query_limits(ctx: RuleContext) -> None:
    for params, name in (({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"page": -1}, "page")):
        answer = ctx.call("GET", LIST, params=params)
        what = f"GET {LIST}?{name}={params[name]}"
        ctx.expect(answer, 422, what=what)
        body = answer.body
        errors = body.get("errors") if isinstance(body, dict) else None
        named = [
            e
            for e in errors or []
            if isinstance(e, dict) and e.get("field") == name and e.get("location") == "query"
        ]
        if not named:
            ctx.fail(
                f"{what}: the 422 must list {{field: {name!r}, location: 'query'}} in errors, got {errors!r}"
            )


@rule(
    "pagination.default_limit",
    "No limit: a page of 20 (pages disagree)",
    "Without limit the list answers pages of 20 (pagination.limit 20); answering every batch call follows "
    "the other sentence of Zudu's list page and is a warning.",
)
def default_limit(ctx: RuleContext) -> None:
    answer = ctx.call("GET", LIST)
    found, pagination = items(ctx, answer, "batch_calls", f"GET {LIST}")
    limit, total = pagination.get("limit"), pagination.get("total_count")
    if limit == 20 and len(found) <= 20:
        return
    if len(found) > 20 or (len(found) == total and limit != 20):  # everything, in one answer
        ctx.disagree(
            f"without limit the list answered all {len(found)} batch calls (pagination.limit {limit!r})",
            ON_DEFAULT_LIMIT,
        )
    ctx.fail(f"without limit the page size must be 20, got pagination {pagination}")


@rule(
    "search.filters",
    "POST /batch-call/list filters by status, agent_id and name (every filter given must match)",
    "filter_criteria {status[], agent_id[], name[]}: a batch is listed when every filter given matches "
    "(a filter's values are alternatives; name matches any part, ignoring case); applied_filters names "
    "the filters given.",
    needs=NEEDS,
)
def filters(ctx: RuleContext) -> None:
    alpha_agent = ctx.fixtures.zudu_agent or "agent_00000000-0000-4000-8000-00000000a1fa"
    beta_agent = "agent_00000000-0000-4000-8000-0000000be7a0"
    alpha = create(ctx, "filters alpha", agent_id=alpha_agent)["batch_call_id"]
    trigger = server_now_ms(ctx) + 30 * DAY_MS  # a month ahead: scheduled, nothing dialled
    beta = create(ctx, "filters beta", agent_id=beta_agent, status="scheduled", trigger_timestamp=trigger)
    if str(beta.get("status", "")).lower() != "scheduled":
        ctx.fail(f"a batch created with status scheduled and a future trigger is {beta.get('status')!r}")
    part = f"{ctx.tag} filters"
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({"name": [part]}, {alpha, beta["batch_call_id"]}),
        ({"name": [part], "status": ["scheduled"]}, {beta["batch_call_id"]}),
        ({"name": [part], "status": ["draft", "sent"]}, {alpha}),
        ({"name": [part], "agent_id": [alpha_agent]}, {alpha}),
        ({"name": [part], "agent_id": [beta_agent], "status": ["draft"]}, set()),
        ({"name": [f"{part} ALPHA".upper()]}, {alpha}),
    ]
    for criteria, expected in cases:
        answer = ctx.call("POST", LIST, json={"filter_criteria": criteria, "pagination": {"limit": 100}})
        where = f"POST {LIST} with filter_criteria {criteria}"
        ctx.expect(answer, 200, what=where)
        found, _ = items(ctx, answer, "batch_calls", where)
        listed = {str(i) for i in ids(found)}
        if listed != expected:
            ctx.fail(f"{where}: expected {sorted(expected)}, got {sorted(listed)}")
        applied = data_of(ctx, answer, where).get("applied_filters")
        if not isinstance(applied, dict) or set(applied) != set(criteria):
            ctx.fail(f"{where}: applied_filters must name {sorted(criteria)}, got {applied!r}")
