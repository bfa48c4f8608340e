"""Handlers of the control operations on worlds: health, reset, workspaces, the clock, events,
webhooks and their deliveries, fault rules and the simulated provider faults."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from mock_server import __version__
from mock_server.control.operations import operation
from mock_server.core.clock import ManualClock
from mock_server.core.errors import Conflict, NotFound, RequestInvalid, Violation
from mock_server.core.timefmt import parse_clock_start, parse_timestamp
from mock_server.engine.context import Reply, RequestContext
from mock_server.engine.faults import rule_from_json
from mock_server.engine.turns import map_in_turns
from mock_server.fixtures import fixture_ids
from mock_server.webhooks import ReceiverRefused, delivery_json
from mock_server.world import ClockLimitExceeded, WorkspaceWorld

if TYPE_CHECKING:
    from mock_server.control.dialect import ControlDialect

Context: TypeAlias = RequestContext[WorkspaceWorld, "ControlDialect"]


def zudu_pair(world: WorkspaceWorld) -> dict[str, str] | None:
    pair = world.workspace.key_pair
    return None if pair is None else {"api_key": pair[0], "api_secret": pair[1]}


def summary(world: WorkspaceWorld) -> dict[str, Any]:
    workspace = world.workspace
    return {
        "workspace_id": workspace.id,
        "api_key": workspace.api_key,
        "zudu": zudu_pair(world),
        "seed": world.config.seed,
        "webhook_url": workspace.webhook_url,
        "clock": world.clock_json(),
    }


def _invalid(loc: tuple[str, ...], message: str, kind: str) -> RequestInvalid:
    return RequestInvalid([Violation(loc, message, kind)])


def _receiver(ctx: Context, url: str | None, loc: tuple[str, ...]) -> str | None:
    """A webhook URL the sandbox may post to (`webhooks.addresses`: the 422 says why not)."""
    if url is not None:
        try:
            ctx.dialect.sandbox.receivers.target(url)
        except ReceiverRefused as exc:
            raise _invalid(loc, str(exc), "receiver_refused") from None
    return url


@operation("get_health")
def get_health(ctx: Context) -> Reply:
    if ctx.dialect.is_anonymous(ctx.headers):  # a load balancer's liveness check: nothing of any world
        return Reply(200, {"status": "ok", "version": __version__})
    ctx.world.catch_up()
    return Reply(200, {"status": "ok", "version": __version__, "workspace_id": ctx.world.id,
                       "clock": ctx.world.clock_json()})


@operation("reset_world")
def reset_world(ctx: Context) -> Reply:
    sandbox = ctx.dialect.sandbox
    scope = ctx.params.get("scope", "workspace")
    if scope == "all":
        ctx.dialect.require_admin(ctx.headers)
        sandbox.reset_all()
        world = sandbox.default_world
    else:
        world = ctx.world
        world.reset()
    return Reply(200, {"status": "reset", "scope": scope, "workspace_id": world.id,
                       "api_key": world.workspace.api_key, "zudu": zudu_pair(world)})


@operation("create_workspace")
def create_workspace(ctx: Context) -> Reply:
    sandbox = ctx.dialect.sandbox
    limit = sandbox.settings.max_workspaces
    if sandbox.created_workspaces() >= limit:
        raise Conflict("workspace_limit_reached", f"this sandbox holds {limit} workspaces, its "
                       "--max-workspaces: delete one (DELETE /_mock/workspaces/{workspace_id}) first",
                       {"limit": limit})
    body = ctx.body or {}
    start_at = body.get("start_at")
    config = sandbox.new_world_config(
        clock=body.get("clock"),
        speed=body.get("speed"),
        start_at=parse_clock_start(start_at, ("body", "start_at")) if start_at is not None else None,
        seed=body.get("seed"),
        webhook_url=_receiver(ctx, body.get("webhook_url"), ("body", "webhook_url")),
    )
    world = sandbox.add_world(config)
    return Reply(201, {**summary(world), "webhook_secret": world.workspace.webhook_secret,
                       "fixtures": fixture_ids()})


@operation("list_workspaces")
async def list_workspaces(ctx: Context) -> Reply:  # up to --max-workspaces: in turns
    sandbox = ctx.dialect.sandbox
    found = await map_in_turns(list(sandbox.worlds.values()), summary)
    return Reply(200, {"data": found, "total": len(found)})


@operation("delete_workspace")
def delete_workspace(ctx: Context) -> Reply:
    sandbox = ctx.dialect.sandbox
    workspace_id = str(ctx.params["workspace_id"])
    world = sandbox.worlds.get(workspace_id)
    if world is None:
        raise NotFound("workspace", workspace_id)
    if world is sandbox.default_world:
        raise Conflict("default_workspace", "the default workspace cannot be deleted: reset it "
                       "(POST /_mock/reset with its credentials) instead", {"workspace_id": workspace_id})
    sandbox.remove_world(world)
    return Reply(204)


@operation("get_clock")
def get_clock(ctx: Context) -> Reply:
    ctx.world.catch_up()
    return Reply(200, ctx.world.clock_json())


@operation("advance_clock")
def advance_clock(ctx: Context) -> Reply:
    world = ctx.world
    if not isinstance(world.clock, ManualClock):
        raise Conflict(
            "clock_not_manual",
            "this workspace's clock is real: create the workspace (or start the sandbox) with a "
            "manual clock to advance it",
        )
    body = ctx.body or {}
    now = world.now()
    if "until" in body:
        target = parse_timestamp(body["until"], ("body", "until"))
        if target < now:
            raise _invalid(("body", "until"), "until is before the workspace's time", "until_in_past")
    else:
        target = now + float(body.get("seconds", 0))
    try:
        ran = world.advance(target)
    except ClockLimitExceeded as exc:
        field = "until" if "until" in body else "seconds"
        raise _invalid(("body", field), str(exc), "less_than") from None
    return Reply(200, {**world.clock_json(), "events_processed": ran})


@operation("list_events")
def list_events(ctx: Context) -> Reply:
    entries = list(ctx.world.events())
    return Reply(200, {"data": entries, "total": len(entries), "dropped": ctx.world.events_dropped})


def _webhook_json(world: WorkspaceWorld) -> dict[str, Any]:
    return {"url": world.workspace.webhook_url, "secret": world.workspace.webhook_secret}


@operation("get_webhook")
def get_webhook(ctx: Context) -> Reply:
    return Reply(200, _webhook_json(ctx.world))


@operation("set_webhook")
def set_webhook(ctx: Context) -> Reply:
    body = ctx.body or {}
    workspace = ctx.world.workspace
    workspace.webhook_url = _receiver(ctx, body.get("url"), ("body", "url"))
    if body.get("secret") is not None:
        workspace.webhook_secret = body["secret"]
    return Reply(200, _webhook_json(ctx.world))


@operation("list_webhook_deliveries")
async def list_webhook_deliveries(ctx: Context) -> Reply:  # thousands, with their attempts: in turns
    sandbox = ctx.dialect.sandbox
    outbox, world_id = sandbox.outbox, ctx.world.id
    found = await map_in_turns(outbox.deliveries(world_id), delivery_json)
    return Reply(200, {"data": found, "total": len(found), "dropped": outbox.dropped(world_id)})


@operation("fail_next_schedule")
def fail_next_schedule(ctx: Context) -> Reply:
    ctx.world.workspace.fail_next_schedule = True
    return Reply(200, {"fail_next_schedule": True})


@operation("inject_provider_error")
def inject_provider_error(ctx: Context) -> Reply:
    """A simulated provider error fails a batch call that is scheduled, active or paused."""
    world = ctx.world
    batch_id = ctx.body["batch_call_id"]
    batch = world.store.batches(world.id).get(batch_id)
    if batch is None:
        raise NotFound("batch_call", batch_id)
    if batch.status not in ("scheduled", "active", "paused"):
        raise Conflict("invalid_state", "only a scheduled, active or paused batch call can fail; "
                       f"this one is {batch.status}", {"status": batch.status,
                                                      "allowed": ["scheduled", "active", "paused"]})
    world.dispatcher.fail(batch, world.now())
    return Reply(200, {"batch_call_id": batch.id, "status": batch.status})


@operation("list_faults")
def list_faults(ctx: Context) -> Reply:
    rules = [rule.as_json() for rule in ctx.world.faults.rules()]
    return Reply(200, {"data": rules, "total": len(rules)})


@operation("add_fault")
def add_fault(ctx: Context) -> Reply:
    sandbox = ctx.dialect.sandbox
    limit = sandbox.settings.max_fault_rules
    if len(ctx.world.faults) >= limit:
        raise Conflict("fault_rule_limit_reached", f"this workspace has {limit} fault rules, the "
                       "sandbox's --max-fault-rules: remove one first", {"limit": limit})
    try:
        rule = rule_from_json(ctx.world.new_id("fault"), ctx.body or {})
    except ValueError as exc:
        raise _invalid(("body",), str(exc), "value_error") from None
    ctx.world.faults.add(rule)
    return Reply(201, rule.as_json())


@operation("clear_faults")
def clear_faults(ctx: Context) -> Reply:
    ctx.world.faults.clear()
    return Reply(204)


@operation("remove_fault")
def remove_fault(ctx: Context) -> Reply:
    fault_id = str(ctx.params["fault_id"])
    if not ctx.world.faults.remove(fault_id):
        raise NotFound("fault", fault_id)
    return Reply(204)
