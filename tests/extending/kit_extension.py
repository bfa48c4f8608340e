"""A kit check and a kit rule written outside `contracts/`, for Truedy's API: what a partner (or the
next engineer) writes to check one more thing, through the kit's public extension points only.

- a check is a `ResponseCheck` value; `header_check` makes one that requires a response header;
- a rule is a function registered with `@rule` in this module; a profile names the module
  (`KitDialect.extended(rule_modules=…)`), and the kit imports it when the rules suite runs.
"""

from __future__ import annotations

from contracts.checks import ResponseCheck
from contracts.exchange import TargetExchange
from contracts.rules import RuleContext, rule
from contracts.spec import SpecFacts

BATCHES = "/batch-calls"


def header_check(header: str) -> ResponseCheck:
    """Every answer carries `header` (a check that fails when the target never sends it)."""

    def problems(exchange: TargetExchange, facts: SpecFacts) -> list[str]:
        return [] if exchange.headers.get(header.lower()) else [f"no {header} header"]

    name = "extension_header_" + header.lower().replace("-", "_")
    return ResponseCheck(
        name, f"rules/extension.header.{header.lower()}", f"Every answer carries {header}", problems
    )


@rule(
    "extension.deleted_is_gone",
    "A deleted draft is gone: GET answers 404",
    "DELETE of a draft answers 204; a GET of it afterwards is 404.",
    needs=("ready_agent",),
)
def deleted_is_gone(ctx: RuleContext) -> None:
    body = {"name": f"{ctx.tag} extension", "agent_id": ctx.fixture("ready_agent")}
    created = ctx.call("POST", BATCHES, json=body)
    ctx.expect(created, 201, what="creating a draft")
    batch_id = created.data["id"]
    ctx.expect(ctx.call("DELETE", f"{BATCHES}/{batch_id}"), 204, what="deleting the draft")
    ctx.expect(ctx.call("GET", f"{BATCHES}/{batch_id}"), 404, "not_found", what="reading the deleted draft")


@rule(
    "extension.kept_for_cleanup",
    "A draft the rule leaves is removed by the kit's cleanup",
    "POST /batch-calls answers 201; the kit deletes the draft at the end of the run.",
    needs=("ready_agent",),
)
def kept_for_cleanup(ctx: RuleContext) -> None:
    body = {"name": f"{ctx.tag} left for the cleanup", "agent_id": ctx.fixture("ready_agent")}
    ctx.expect(ctx.call("POST", BATCHES, json=body), 201, what="creating a draft")
