"""The kit's profile of the third API (`kit_third_api`), built outside `contracts/` from the kit's
public extension points: `KitDialect` and `FixtureField` (contracts.dialects.base), `Resources`
(contracts.ledger), `ResponseCheck` (contracts.checks), rules with `@rule` (`kit_third_rules`).
Handed to the kit in `KitConfig.dialect` / `ProxyConfig.dialect`; nothing in the kit names it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from extending import kit_third_rules

from contracts.checks import ResponseCheck
from contracts.client import ApiClient
from contracts.dialects.base import FixtureField, KitDialect
from contracts.exchange import TargetExchange, parse_json
from contracts.ledger import Resources
from contracts.spec import SpecFacts

if TYPE_CHECKING:
    from contracts.config import KitConfig
    from contracts.fixtures import Fixtures
    from contracts.target import TargetInfo

HEADER = "X-Callback-Token"


def _recognizes(document: Mapping[str, Any]) -> bool:
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    return any(s.get("in") == "header" and s.get("name") == HEADER for s in schemes.values())


def _auth_headers(key: str | None, secret: str | None) -> dict[str, str]:
    return {HEADER: key} if key is not None else {}


def error_problems(exchange: TargetExchange, facts: SpecFacts) -> list[str]:
    """Every 4xx/5xx is `{error: {code, message}}` with a code the spec lists for its status."""
    if exchange.status < 400 or exchange.method.upper() == "HEAD":
        return []
    body = parse_json(exchange.content)
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return [
            f"a {exchange.status} must answer {{error: {{code, message}}}}, got {exchange.content[:80]!r}"
        ]
    code, documented = error.get("code"), facts.error_codes.get(exchange.status, frozenset())
    if not isinstance(code, str) or (documented and code not in documented):
        return [f"error.code {code!r} is not a code the spec lists for {exchange.status}"]
    return []


ERROR_ENVELOPE = ResponseCheck(
    "callbacks_error_envelope",
    "rules/response.error_envelope",
    "Every error is {error: {code, message}} with a code the spec lists for its status",
    error_problems,
)


def _callback_states(body: Any) -> Iterator[tuple[Any, Any]]:
    items = body.get("items") if isinstance(body, dict) and "items" in body else [body]
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            yield item.get("id"), item.get("status")


def _created_id(body: Any) -> Any:
    return body.get("id") if isinstance(body, dict) else None


def _delete(client: ApiClient, callback_id: str) -> tuple[str | None, str | None]:
    answer = client.delete(f"/callbacks/{callback_id}")
    return (None, None) if answer.status in (204, 404) else (f"{answer.describe()}", None)


def _plan(config: KitConfig, info: TargetInfo, fixtures: Fixtures, other_key_source: str) -> list[str]:
    return [
        f"Contract kit run {config.run_id} against {info.base_url} (callback requests), suites: "
        f"{', '.join(config.suites)}",
        f"  asks for callbacks to {fixtures.callback_phone} and to generated numbers; withdraws them at the"
        " end",
    ]


CALLBACKS = KitDialect(
    name="callbacks",
    api="the callback requests API",
    recognizes=_recognizes,
    scheme_text=f"an apiKey header {HEADER} (callback requests)",
    probe_path="/callbacks",
    probe_params={},
    base_path_hint="give --base-url as the server's origin",
    secret_name=None,
    auth_headers=_auth_headers,
    schemathesis_auth=lambda document, key, secret: {"CallbackToken": {"api_key": key}},
    sandbox_credentials=("ct_test_token", None),
    workspace_credentials=lambda answer: None,
    checks=(ERROR_ENVELOPE,),
    rule_modules=(kit_third_rules.__name__,),
    business_statuses={},  # the spec's x-error-codes and descriptions say it all
    lifecycle={"pending": frozenset({"done"}), "done": frozenset()},
    batch_states=_callback_states,
    resources=Resources(
        creates={"create_callback": "callback"}, created_id=_created_id, removers={"callback": _delete}
    ),
    tagged_fields={"create_callback": ("note", 200)},
    plan=_plan,
    fixtures=(
        FixtureField("callback_phone", "callbacks", "phone", "+15550100001", note="a number to call back"),
    ),
)
