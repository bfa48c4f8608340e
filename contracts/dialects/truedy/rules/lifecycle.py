"""The lifecycle: draft → scheduled → paused → scheduled, cancel and delete, and each invalid_state 422."""

from __future__ import annotations

from contracts.dialects.truedy.rules.support import at, create_batch, expect_status, path, scheduled_batch
from contracts.exchange import TargetExchange
from contracts.rules import RuleContext, rule

FOLDER = ("ready_agent", "contacts_folder")
SEEDS_ON_LIVE_EDITS = (
    "seeds disagree: 003 (campaigns overview) lets a scheduled or paused campaign be edited; 000/001 "
    "(API reference) allow PATCH only in draft. The reference wins (BEHAVIOR.md decision 1): 422 "
    "invalid_state is expected, a 200 follows 003"
)
SEEDS_ON_CANCEL = (
    "the seeds have no cancel endpoint; BEHAVIOR.md decision 7: DELETE of a scheduled/active/paused "
    "batch cancels it and keeps it as cancelled, a second DELETE removes it"
)


def _expect_invalid_state(ctx: RuleContext, answer: TargetExchange, current: str, what: str) -> None:
    ctx.expect(answer, 422, "invalid_state", what=what)
    body = answer.body
    message = body.get("error", {}).get("message", "") if isinstance(body, dict) else ""
    if current not in str(message):
        ctx.fail(
            f"{what}: the invalid_state message must name the current status '{current}', got {message!r}"
        )


@rule(
    "invalid_state.pause_from_draft",
    "Pause a draft: 422 invalid_state",
    "pause is allowed from scheduled and active only; from draft it is 422 `invalid_state`.",
    needs=FOLDER,
)
def pause_from_draft(ctx: RuleContext) -> None:
    batch = create_batch(ctx, "pause from draft")
    _expect_invalid_state(ctx, ctx.call("POST", path(batch, "pause")), "draft", what="pausing a draft")
    read = ctx.call("GET", path(batch))
    expect_status(ctx, read, "draft", what="the batch after a refused pause")


@rule(
    "invalid_state.resume_from_draft",
    "Resume a draft: 422 invalid_state",
    "resume is allowed from paused only; from draft it is 422 `invalid_state`.",
    needs=FOLDER,
)
def resume_from_draft(ctx: RuleContext) -> None:
    batch = create_batch(ctx, "resume from draft")
    _expect_invalid_state(ctx, ctx.call("POST", path(batch, "resume")), "draft", what="resuming a draft")


@rule(
    "invalid_state.schedule_twice",
    "Schedule a scheduled batch: 422 invalid_state",
    "schedule is allowed from draft only; a second schedule is 422 `invalid_state`.",
    needs=FOLDER,
)
def schedule_twice(ctx: RuleContext) -> None:
    batch = scheduled_batch(ctx, "schedule twice")
    answer = ctx.call("POST", path(batch, "schedule"), json={"scheduled_at": at(ctx, 31)})
    _expect_invalid_state(ctx, answer, str(batch["status"]), what="scheduling a scheduled batch")


@rule(
    "invalid_state.resume_while_scheduled",
    "Resume a scheduled batch: 422 invalid_state",
    "resume is allowed from paused only; from scheduled it is 422 `invalid_state`.",
    needs=FOLDER,
)
def resume_while_scheduled(ctx: RuleContext) -> None:
    batch = scheduled_batch(ctx, "resume scheduled")
    answer = ctx.call("POST", path(batch, "resume"))
    _expect_invalid_state(ctx, answer, str(batch["status"]), what="resuming a scheduled batch")


@rule(
    "invalid_state.pause_twice",
    "Pause a paused batch: 422 invalid_state",
    "pause is allowed from scheduled and active only; from paused it is 422 `invalid_state`.",
    needs=FOLDER,
)
def pause_twice(ctx: RuleContext) -> None:
    batch = scheduled_batch(ctx, "pause twice")
    ctx.expect(ctx.call("POST", path(batch, "pause")), 200, what="pausing a scheduled batch")
    _expect_invalid_state(
        ctx, ctx.call("POST", path(batch, "pause")), "paused", what="pausing a paused batch"
    )


@rule(
    "invalid_state.patch_after_schedule",
    "PATCH a scheduled batch: 422 invalid_state (seeds disagree)",
    "PATCH is allowed in draft only (000/001): 422 `invalid_state` once scheduled; a 200 is a warning "
    "(003 allows live edits).",
    needs=FOLDER,
)
def patch_after_schedule(ctx: RuleContext) -> None:
    batch = scheduled_batch(ctx, "patch scheduled")
    answer = ctx.call("PATCH", path(batch), json={"name": f"{ctx.tag} renamed"})
    if answer.status == 200:
        ctx.disagree("PATCH of a scheduled batch answered 200 (live edit)", SEEDS_ON_LIVE_EDITS)
    _expect_invalid_state(ctx, answer, str(batch["status"]), what="PATCH of a scheduled batch")


@rule(
    "invalid_state.patch_while_paused",
    "PATCH a paused batch: 422 invalid_state (seeds disagree)",
    "PATCH is allowed in draft only (000/001): 422 `invalid_state` while paused; a 200 is a warning "
    "(003 allows live edits).",
    needs=FOLDER,
)
def patch_while_paused(ctx: RuleContext) -> None:
    batch = scheduled_batch(ctx, "patch paused")
    ctx.expect(ctx.call("POST", path(batch, "pause")), 200, what="pausing a scheduled batch")
    answer = ctx.call("PATCH", path(batch), json={"max_concurrent_calls": 3})
    if answer.status == 200:
        ctx.disagree("PATCH of a paused batch answered 200 (live edit)", SEEDS_ON_LIVE_EDITS)
    _expect_invalid_state(ctx, answer, "paused", what="PATCH of a paused batch")


@rule(
    "schedule.no_contacts",
    "Schedule a batch without contacts: 422 no_contacts",
    "A batch with no contacts cannot be scheduled: 422 `no_contacts`, and it stays draft.",
    needs=("ready_agent",),
)
def no_contacts(ctx: RuleContext) -> None:
    created = ctx.call(
        "POST",
        "/batch-calls",
        json={"name": f"{ctx.tag} no contacts", "agent_id": ctx.fixture("ready_agent")},
    )
    ctx.expect(created, 201, what="creating a batch without contacts")
    batch = created.data
    answer = ctx.call("POST", path(batch, "schedule"), json={"scheduled_at": at(ctx, 30)})
    ctx.expect(answer, 422, "no_contacts", what="scheduling a batch without contacts")
    expect_status(ctx, ctx.call("GET", path(batch)), "draft", what="the batch after a refused schedule")


@rule(
    "schedule.scheduled_at_in_past",
    "Schedule in the past: 422 scheduled_at_in_past",
    "schedule with a scheduled_at in the past is 422 `scheduled_at_in_past`.",
    needs=FOLDER,
)
def schedule_in_past(ctx: RuleContext) -> None:
    batch = create_batch(ctx, "schedule in past")
    answer = ctx.call("POST", path(batch, "schedule"), json={"scheduled_at": at(ctx, -1)})
    ctx.expect(answer, 422, "scheduled_at_in_past", what="scheduling with scheduled_at a day ago")


@rule(
    "lifecycle.patch_draft",
    "PATCH a draft: 200, fields merged",
    "PATCH of a draft merges the given fields and keeps the others.",
    needs=FOLDER,
)
def patch_draft(ctx: RuleContext) -> None:
    batch = create_batch(ctx, "patch draft", max_concurrent_calls=7)
    answer = ctx.call("PATCH", path(batch), json={"name": f"{ctx.tag} patched", "retry_failed": True})
    ctx.expect(answer, 200, what="PATCH of a draft")
    data = answer.data
    expected = {
        "name": f"{ctx.tag} patched",
        "retry_failed": True,
        "max_concurrent_calls": 7,
        "total_contacts": batch["total_contacts"],
        "status": "draft",
    }
    wrong = {k: data.get(k) for k, v in expected.items() if data.get(k) != v}
    if wrong:
        ctx.fail(f"after PATCH expected {expected}, got {wrong}")


@rule(
    "lifecycle.schedule_pause_resume",
    "schedule → pause → resume: 200 each, with the documented statuses",
    "draft → schedule: scheduled; → pause: paused; → resume: scheduled (next call in the future) or active.",
    needs=FOLDER,
)
def schedule_pause_resume(ctx: RuleContext) -> None:
    batch = create_batch(ctx, "lifecycle")
    scheduled = ctx.call("POST", path(batch, "schedule"), json={"scheduled_at": at(ctx, 30)})
    ctx.expect(scheduled, 200, what="scheduling a draft 30 days ahead")
    expect_status(ctx, scheduled, "scheduled", what="after schedule")
    paused = ctx.call("POST", path(batch, "pause"))
    ctx.expect(paused, 200, what="pausing a scheduled batch")
    expect_status(ctx, paused, "paused", what="after pause")
    resumed = ctx.call("POST", path(batch, "resume"))
    ctx.expect(resumed, 200, what="resuming a paused batch")
    expect_status(ctx, resumed, "scheduled", "active", what="after resume")
    read = ctx.call("GET", path(batch))
    expect_status(ctx, read, str(resumed.data["status"]), what="GET after resume")


@rule(
    "lifecycle.delete_draft",
    "DELETE a draft: 204, then 404 everywhere",
    "DELETE of a draft removes it: 204, then GET and a second DELETE are 404.",
    needs=FOLDER,
)
def delete_draft(ctx: RuleContext) -> None:
    batch = create_batch(ctx, "delete draft")
    ctx.expect(ctx.call("DELETE", path(batch)), 204, what="deleting a draft")
    ctx.expect(ctx.call("GET", path(batch)), 404, "not_found", what="reading a deleted draft")
    ctx.expect(ctx.call("DELETE", path(batch)), 404, "not_found", what="deleting a deleted draft")


@rule(
    "lifecycle.delete_running_cancels",
    "DELETE a scheduled batch: cancelled, a second DELETE removes it",
    "DELETE of a scheduled batch answers 204 and keeps it as cancelled; a second DELETE removes it "
    "(decision 7: the seeds have no cancel endpoint).",
    needs=FOLDER,
)
def delete_running(ctx: RuleContext) -> None:
    batch = scheduled_batch(ctx, "cancel")
    ctx.expect(ctx.call("DELETE", path(batch)), 204, what="deleting a scheduled batch")
    read = ctx.call("GET", path(batch))
    if read.status == 404:
        ctx.disagree(
            "DELETE of a scheduled batch removed it at once instead of cancelling it", SEEDS_ON_CANCEL
        )
    ctx.expect(read, 200, what="reading a batch cancelled by DELETE")
    expect_status(ctx, read, "cancelled", what="a scheduled batch after DELETE")
    ctx.expect(ctx.call("DELETE", path(batch)), 204, what="deleting a cancelled batch")
    ctx.expect(ctx.call("GET", path(batch)), 404, "not_found", what="reading a removed batch")
