"""Zudu's lifecycle (seed 004 and Zudu's pages): create, execute from draft or scheduled, DELETE of
draft or completed only, completed batches immutable, and the tasks of a batch."""

from __future__ import annotations

import time

from contracts.dialects.zudu.rules.support import (
    BATCHES,
    NEEDS,
    ON_CASE,
    ON_DEFAULT_STATUS,
    ON_MILLISECONDS,
    ON_TIMEZONE,
    create,
    data_of,
    execute,
    expect_refused,
    items,
    path,
    read,
    status_of,
    tasks,
)
from contracts.rules import RuleContext, rule
from contracts.target import advance_sandbox_clock

# the fields of seed 004's answer, in its order
SEED_004_FIELDS = (
    "batch_call_id",
    "name",
    "from_number",
    "scheduled_timestamp",
    "total_task_count",
    "total",
    "sent",
    "picked_up",
    "completed",
    "agent_id",
    "organization_id",
    "status",
    "timezone",
    "last_sent_timestamp",
    "tasks_url",
    "created_timestamp",
    "access_info",
)
COMPLETION_WAIT_S = 86_400  # a simulated day: every call of a one-task batch has ended by then


@rule(
    "create.created",
    "Create: 201 with seed 004's batch object; GET returns the same",
    "POST /batch-call answers 201 {message, status: success, error: null, data} with every field of seed "
    "004's answer: the name, numbers, agent, timezone and trigger (ms) given, total = total_task_count = "
    "tasks, counters 0, status draft; GET /batch-call/{id} returns the same batch.",
    needs=NEEDS,
)
def created(ctx: RuleContext) -> None:
    trigger = (round(time.time()) + 30 * 86_400) * 1000  # a whole second, a month ahead, in ms
    sent = {
        "name": f"{ctx.tag} seed 004",
        "from_number": ctx.fixture("from_number"),
        "tasks": tasks(ctx, 2, dynamic_variables={"first_name": "Ada"}, max_retries=1),
        "trigger_timestamp": trigger,
        "timezone": "America/New_York",
        "status": "draft",
        "send_now": False,
    }
    if ctx.fixtures.zudu_agent:
        sent["agent_id"] = ctx.fixtures.zudu_agent
    answer = ctx.call("POST", BATCHES, json=sent)
    ctx.expect(answer, 201, what="creating a batch call as seed 004 does")
    data = data_of(ctx, answer, "creating a batch call")
    missing = [name for name in SEED_004_FIELDS if name not in data]
    if missing:
        ctx.fail(f"the 201's data lacks seed 004's fields {missing}")
    if not isinstance(data["batch_call_id"], str) or not data["batch_call_id"]:
        ctx.fail(f"batch_call_id must be a non-empty string, got {data['batch_call_id']!r}")
    expected = {
        "name": sent["name"],
        "from_number": sent["from_number"],
        "total_task_count": 2,
        "total": 2,
        "sent": 0,
        "picked_up": 0,
        "completed": 0,
        "last_sent_timestamp": None,
    }
    if ctx.fixtures.zudu_agent:
        expected["agent_id"] = ctx.fixtures.zudu_agent
    wrong = {k: data.get(k) for k, v in expected.items() if data.get(k) != v}
    if wrong:
        ctx.fail(f"the created batch should have {expected}, got {wrong}")
    if status_of(data) != "draft":
        ctx.fail(f"a batch created with status draft answered status {data['status']!r}")
    again = read(ctx, data, "reading the created batch")
    differ = [k for k in SEED_004_FIELDS if again.get(k) != data.get(k)]
    if differ:
        ctx.fail(f"GET /batch-call/{{id}} differs from the 201's batch in {differ}")
    # where Zudu's pages disagree: warnings, once everything else holds
    if data["scheduled_timestamp"] == trigger // 1000:
        ctx.disagree("scheduled_timestamp is the trigger in seconds", ON_MILLISECONDS)
    if data["scheduled_timestamp"] != trigger:
        ctx.fail(
            f"scheduled_timestamp must be the trigger_timestamp sent ({trigger}), got "
            f"{data['scheduled_timestamp']!r}"
        )
    if data["status"] != "draft":
        ctx.disagree(f"the status is {data['status']!r}, not 'draft'", ON_CASE)
    if data["timezone"] != sent["timezone"]:
        if data["timezone"] == "UTC":
            ctx.disagree("the timezone sent (America/New_York) came back as UTC", ON_TIMEZONE)
        ctx.fail(f"the timezone sent (America/New_York) came back as {data['timezone']!r}")


@rule(
    "create.default_status",
    "Create without status, trigger or send_now: a draft (pages disagree)",
    "Without status, trigger_timestamp and send_now nothing is dialled: the batch is a draft (decision 4); "
    "an immediate start follows Zudu's older create page and is a warning.",
    needs=NEEDS,
)
def default_status(ctx: RuleContext) -> None:
    answer = ctx.call(
        "POST",
        BATCHES,
        json={
            "name": f"{ctx.tag} default status",
            "from_number": ctx.fixture("from_number"),
            "tasks": tasks(ctx, 1),
        },
    )
    ctx.expect(answer, 201, what="creating a batch call with no status")
    data = data_of(ctx, answer, "creating a batch call with no status")
    if status_of(data) == "sent":
        ctx.disagree("a batch created without status started at once (status sent)", ON_DEFAULT_STATUS)
    if status_of(data) != "draft":
        ctx.fail(f"a batch created without status, trigger or send_now answered {data.get('status')!r}")


@rule(
    "execute.from_draft",
    "Execute a draft: 200, status sent",
    "POST /batch-call/{id}/execute of a draft answers 200 with the batch in status sent; GET then says "
    "sent (or completed once every task has finished).",
    needs=NEEDS,
)
def execute_draft(ctx: RuleContext) -> None:
    batch = create(ctx, "execute")
    started = execute(ctx, batch)
    if started.get("batch_call_id") != batch["batch_call_id"]:
        ctx.fail(f"execute answered batch {started.get('batch_call_id')!r}, not {batch['batch_call_id']!r}")
    later = read(ctx, batch, "reading an executed batch")
    if status_of(later) not in ("sent", "completed"):
        ctx.fail(f"an executed batch reads status {later.get('status')!r}, not sent (or completed)")


@rule(
    "execute.twice",
    "Execute a sent batch: 400",
    "execute is allowed from draft or scheduled only: executing a sent batch again is 400 'Cannot execute "
    "batch call with status sent' and changes nothing.",
    needs=NEEDS,
)
def execute_twice(ctx: RuleContext) -> None:
    batch = create(ctx, "execute twice")
    execute(ctx, batch)
    expect_refused(ctx, ctx.call("POST", path(batch, "execute")), what="executing a sent batch again")


@rule(
    "delete.sent_refused",
    "DELETE a sent batch: 400, the batch stays",
    "DELETE is allowed for draft or completed batches only: a sent batch answers 400 and stays readable.",
    needs=NEEDS,
)
def delete_sent(ctx: RuleContext) -> None:
    batch = create(ctx, "delete sent", count=3)
    execute(ctx, batch)
    if status_of(read(ctx, batch, "reading an executed batch")) != "sent":
        ctx.skip("the batch finished its calls before the DELETE could be sent")
    expect_refused(ctx, ctx.call("DELETE", path(batch)), what="deleting a sent batch")
    read(ctx, batch, "reading a sent batch after a refused DELETE")


@rule(
    "delete.draft",
    "DELETE a draft: 200, then 404",
    "DELETE of a draft answers 200 (data null); GET and a second DELETE are then 404.",
    needs=NEEDS,
)
def delete_draft(ctx: RuleContext) -> None:
    batch = create(ctx, "delete draft")
    ctx.expect(ctx.call("DELETE", path(batch)), 200, what="deleting a draft")
    ctx.expect(ctx.call("GET", path(batch)), 404, what="reading a deleted draft")
    ctx.expect(ctx.call("DELETE", path(batch)), 404, what="deleting a deleted draft")


def _completed_batch(ctx: RuleContext) -> str:
    """A completed batch: the fixture's, or one run to completion on a manual-clock sandbox."""
    if ctx.fixtures.completed_batch:
        return ctx.fixture("completed_batch")
    target = ctx.target
    if target is None or not target.is_sandbox or target.clock != "manual":
        ctx.skip(
            "no completed batch is reachable: give one in the fixtures (zudu.completed_batch), or run "
            "against the sandbox with --clock manual (the kit then drives its clock)"
        )
    batch = create(ctx, "run to completion", count=1)
    execute(ctx, batch)
    problem = advance_sandbox_clock(target.origin, COMPLETION_WAIT_S, ctx.client.timeout)
    if problem:
        ctx.skip(f"the sandbox's clock could not be advanced: {problem}")
    done = read(ctx, batch, "reading a batch a simulated day after its execution")
    if status_of(done) != "completed":
        ctx.fail(f"a one-task batch still reads {done.get('status')!r} a simulated day after execution")
    if done.get("completed") != done.get("total"):
        ctx.fail(
            f"a completed batch must have completed = total, got {done.get('completed')!r} of "
            f"{done.get('total')!r}"
        )
    return str(batch["batch_call_id"])


@rule(
    "update.completed_refused",
    "PATCH a completed batch: 400, unchanged; DELETE of it: 200",
    "Completed (and failed) batches are immutable: PATCH answers 400 'Cannot update batch call with status "
    "completed' and changes nothing; DELETE of a completed batch is allowed. Needs a completed batch (a "
    "fixture, or the sandbox with a manual clock, which the kit advances a simulated day).",
    needs=NEEDS,
)
def patch_completed(ctx: RuleContext) -> None:
    batch_id = _completed_batch(ctx)
    before = read(ctx, batch_id, "reading the completed batch")
    if status_of(before) != "completed":
        ctx.skip(f"the fixture's batch {batch_id} is {before.get('status')!r}, not completed")
    answer = ctx.call("PATCH", path(batch_id), json={"name": f"{ctx.tag} renamed after completion"})
    expect_refused(ctx, answer, what="PATCH of a completed batch")
    after = read(ctx, batch_id, "reading the completed batch after a refused PATCH")
    if after.get("name") != before.get("name"):
        ctx.fail(f"a refused PATCH renamed the batch to {after.get('name')!r}")
    if batch_id != ctx.fixtures.completed_batch:  # the kit's own: DELETE of a completed batch is allowed
        ctx.expect(ctx.call("DELETE", path(batch_id)), 200, what="deleting a completed batch")
        ctx.expect(ctx.call("GET", path(batch_id)), 404, what="reading a deleted completed batch")


@rule(
    "tasks.listing",
    "A batch's tasks: every task once, in order, pending; pages add up",
    "GET /batch-call/{id}/tasks lists the batch's tasks in dialling order (to_number, dynamic_variables, "
    "max_retries as sent; pending before execution) with pagination {page (0-based), limit, total_count, "
    "total_pages}; the pages of a smaller limit are the same list without duplicates or gaps.",
    needs=NEEDS,
)
def task_listing(ctx: RuleContext) -> None:
    sent = tasks(ctx, 3, dynamic_variables={"plan": "gold"}, max_retries=2)
    batch = create(ctx, "tasks", count=3, tasks=sent)
    answer = ctx.call("GET", path(batch, "tasks"))
    ctx.expect(answer, 200, what="listing a draft's tasks")
    found, pagination = items(ctx, answer, "tasks", "GET …/tasks")
    if answer.data.get("batch_call_id") != batch["batch_call_id"]:
        ctx.fail(f"the tasks page names batch {answer.data.get('batch_call_id')!r}")
    numbers = [t.get("to_number") if isinstance(t, dict) else t for t in found]
    if numbers != [t["to_number"] for t in sent]:
        ctx.fail(
            f"the tasks must be the numbers sent, in order: {[t['to_number'] for t in sent]}, got {numbers}"
        )
    for task in found:
        shown = {k: task.get(k) for k in ("status", "dynamic_variables", "max_retries", "attempts")}
        if shown != {
            "status": "pending",
            "dynamic_variables": {"plan": "gold"},
            "max_retries": 2,
            "attempts": 0,
        }:
            ctx.fail(f"a draft's task should be pending with the variables and retries sent, got {shown}")
    task_ids = [t.get("task_id") for t in found]
    if len(set(task_ids)) != 3 or not all(isinstance(i, str) and i for i in task_ids):
        ctx.fail(f"every task needs its own task_id, got {task_ids}")
    if (pagination.get("page"), pagination.get("total_count")) != (0, 3):
        ctx.fail(f"the first page of three tasks should say page 0, total_count 3, got {pagination}")
    seen: list[object] = []
    for page, size in ((0, 2), (1, 1), (2, 0)):
        answer = ctx.call("GET", path(batch, "tasks"), params={"page": page, "limit": 2})
        ctx.expect(answer, 200, what=f"GET …/tasks?page={page}&limit=2")
        found, pagination = items(ctx, answer, "tasks", f"GET …/tasks?page={page}&limit=2")
        expected = {"page": page, "limit": 2, "total_count": 3, "total_pages": 2}
        if len(found) != size or {k: pagination.get(k) for k in expected} != expected:
            ctx.fail(
                f"GET …/tasks?page={page}&limit=2: expected {size} tasks and {expected}, got "
                f"{len(found)} tasks and {pagination}"
            )
        seen += [t.get("task_id") for t in found if isinstance(t, dict)]
    if seen != task_ids:
        ctx.fail(f"the pages of 2 are not the list in order: {seen} vs {task_ids}")
