"""The APIs the kit knows, told apart by the spec's security schemes.

- Truedy's Batch Calls API: an HTTP bearer scheme (`Authorization: Bearer <key>`), base path
  /api/public/v1, `{data, meta}` / `{error: {code, message, details}, meta}` envelopes.
- Zudu's batch-call API (seed 004): two apiKey header schemes, X-API-KEY and X-API-SECRET, paths
  at the server's root, `{message, status, error, data}` envelopes.

What differs between them and is not a rule (auth, where to probe, how to name and delete what the
kit creates, which statuses are documented business answers) is data here; the rules themselves
live in `rules/` (one set per dialect) and the response checks in `checks`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from contracts.checks import (
    CONTENT_TYPE,
    NO_SERVER_ERROR,
    TRUEDY_COUNTERS,
    TRUEDY_ENVELOPE,
    TRUEDY_REQUEST_ID,
    TRUEDY_SUCCESS_ENVELOPE,
    ZUDU_COUNTERS_CHECK,
    ZUDU_ENVELOPE,
    ResponseCheck,
)
from contracts.errors import SpecError
from contracts.spec import BUSINESS_RULE_422

DialectName = Literal["truedy", "zudu"]

# positive_data_acceptance's own list (Schemathesis), to which documented business answers are added
POSITIVE_STATUSES = ("2xx", "3xx", "401", "403", "404", "409", "429", "5xx")


@dataclass(frozen=True, slots=True)
class KitDialect:
    name: DialectName
    api: str  # how messages name the API
    probe_path: str  # a cheap authenticated list read that proves the target speaks the API
    probe_params: Mapping[str, Any]
    base_path_hint: str  # how messages say what --base-url should be
    batch_path: str  # the collection: POST creates
    id_field: str  # the id of a batch call in answers
    needs_secret: bool
    checks: tuple[ResponseCheck, ...]  # every answer of this API obeys them (the others are switched off)
    # operationId -> statuses a schema-valid request may get for rules a JSON schema cannot state
    business_statuses: Mapping[str, tuple[str, ...]]

    def item_path(self, batch_id: str) -> str:
        return f"{self.batch_path}/{batch_id}"

    def auth_headers(self, key: str | None, secret: str | None) -> dict[str, str]:
        """The credential headers; None leaves that header out (for the 401 rules)."""
        if self.name == "truedy":
            return {"Authorization": f"Bearer {key}"} if key is not None else {}
        headers = {}
        if key is not None:
            headers["X-API-KEY"] = key
        if secret is not None:
            headers["X-API-SECRET"] = secret
        return headers

    def expected_statuses(self, operation_id: str) -> list[str] | None:
        extra = self.business_statuses.get(operation_id)
        return [*POSITIVE_STATUSES, *extra] if extra else None


TRUEDY = KitDialect(
    name="truedy",
    api="the Truedy Batch Calls API",
    probe_path="/batch-calls",
    probe_params={"limit": 1},
    base_path_hint="give --base-url as the API's base URL, e.g. http://HOST/api/public/v1 (or the origin "
    "of a server that serves the API at its root)",
    batch_path="/batch-calls",
    id_field="id",
    needs_secret=False,
    checks=(
        CONTENT_TYPE,
        NO_SERVER_ERROR,
        TRUEDY_ENVELOPE,
        TRUEDY_SUCCESS_ENVELOPE,
        TRUEDY_REQUEST_ID,
        TRUEDY_COUNTERS,
    ),
    business_statuses={op: ("422",) for op in BUSINESS_RULE_422},
)

ZUDU = KitDialect(
    name="zudu",
    api="Zudu's batch-call API",
    probe_path="/batch-call/list",
    probe_params={"limit": 1},
    base_path_hint="give --base-url as the URL under which Zudu's paths (/batch-call/…) start, usually the "
    "server's origin",
    batch_path="/batch-call",
    id_field="batch_call_id",
    needs_secret=True,
    checks=(CONTENT_TYPE, NO_SERVER_ERROR, ZUDU_ENVELOPE, ZUDU_COUNTERS_CHECK),
    # 400 `Cannot <action> batch call with status <s>` (the status rules), 422 for the cross-field
    # rules (a to_number twice or equal to from_number, an IANA zone, a trigger in the future)
    business_statuses={
        "create_batch_call": ("422",),
        "update_batch_call": ("400", "422"),
        "delete_batch_call": ("400",),
        "execute_batch_call": ("400",),
    },
)

DIALECTS: tuple[KitDialect, ...] = (TRUEDY, ZUDU)


def _schemes(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    return {str(name): s for name, s in schemes.items() if isinstance(s, dict)}


def bearer_scheme(document: Mapping[str, Any]) -> str | None:
    for name, scheme in _schemes(document).items():
        if scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
            return name
    return None


def header_key_schemes(document: Mapping[str, Any]) -> dict[str, str]:
    """Lower-case header name -> the apiKey scheme sending it."""
    return {
        str(s.get("name", "")).lower(): name
        for name, s in _schemes(document).items()
        if s.get("type") == "apiKey" and s.get("in") == "header"
    }


def dialect_of(document: Mapping[str, Any]) -> KitDialect:
    """Truedy for a bearer scheme, Zudu for apiKey X-API-KEY + X-API-SECRET; otherwise a SpecError."""
    if {"x-api-key", "x-api-secret"} <= set(header_key_schemes(document)):
        return ZUDU
    if bearer_scheme(document) is not None:
        return TRUEDY
    raise SpecError(
        "the spec's security schemes are neither an HTTP bearer scheme (Truedy) nor apiKey headers "
        "X-API-KEY and X-API-SECRET (Zudu): the kit cannot authenticate"
    )


def schemathesis_auth(dialect: KitDialect, document: Mapping[str, Any], key: str, secret: str | None) -> Any:
    """The `auth.openapi` section of a Schemathesis config for this dialect's schemes."""
    if dialect.name == "truedy":
        return {bearer_scheme(document): {"bearer": key}}
    schemes = header_key_schemes(document)
    return {schemes["x-api-key"]: {"api_key": key}, schemes["x-api-secret"]: {"api_key": secret or ""}}
