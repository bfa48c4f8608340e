"""`KitDialect`: the profile of one API. Every fact and behaviour of the kit that differs per API
lives in one profile (`truedy.py`, `zudu.py`); the rest of the kit reads it from there and never
asks which API it is checking.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from contracts.checks import ResponseCheck

if TYPE_CHECKING:
    from contracts.client import ApiClient
    from contracts.config import Fixtures, KitConfig
    from contracts.target import TargetInfo

# positive_data_acceptance's own list (Schemathesis), to which documented business answers are added
POSITIVE_STATUSES = ("2xx", "3xx", "401", "403", "404", "409", "429", "5xx")

AuthHeaders = Callable[[str | None, str | None], dict[str, str]]
SchemathesisAuth = Callable[[Mapping[str, Any], str, str | None], Any]
Plan = Callable[["KitConfig", "TargetInfo", str], list[str]]
# (a problem, the status that keeps the batch on the target) for one batch call the run created
DeleteBatch = Callable[["ApiClient", str], tuple[str | None, str | None]]
DiscoverIds = Callable[["ApiClient", "Fixtures"], dict[str, list[str]]]
# the sandbox's answer to POST /_mock/workspaces -> this API's credentials of that workspace
WorkspaceCredentials = Callable[[Mapping[str, Any]], tuple[str, str | None] | None]


def _no_ids(client: ApiClient, fixtures: Fixtures) -> dict[str, list[str]]:
    return {}


@dataclass(frozen=True, slots=True)
class KitDialect:
    name: str
    api: str  # how messages name the API
    # the wire
    probe_path: str  # a cheap authenticated list read that proves the target speaks the API
    probe_params: Mapping[str, Any]
    base_path_hint: str  # how messages say what --base-url should be
    batch_path: str  # the collection: POST creates
    id_field: str  # the id of a batch call in answers
    needs_secret: bool
    auth_headers: AuthHeaders  # the credential headers; None leaves that header out (the 401 rules)
    schemathesis_auth: SchemathesisAuth  # the `auth.openapi` section of a Schemathesis config
    workspace_credentials: WorkspaceCredentials
    # what the suites check
    checks: tuple[ResponseCheck, ...]  # every answer obeys them (the other dialects' are switched off)
    rule_modules: tuple[str, ...]  # modules of `contracts.rules` whose `@rule`s are this API's
    # operationId -> statuses a schema-valid request may get for rules a JSON schema cannot state
    business_statuses: Mapping[str, tuple[str, ...]]
    # batch status -> the statuses it may be seen in next (the documented lifecycle; the proxy)
    lifecycle: Mapping[str, frozenset[str]]
    # what the run creates and how it names and removes it
    creates: Mapping[str, str]  # operationId of a creating operation -> the kind it creates
    tagged_fields: Mapping[str, tuple[str, int]]  # operationId -> name-like field, its maxLength
    delete_batch: DeleteBatch
    undeletable: str  # said of batch calls `delete_batch` had to leave
    plan: Plan  # what a run will create, said before it starts
    # where the fuzzers draw ids that exist on the target: dictionary -> parameters
    id_bindings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    discover_ids: DiscoverIds = _no_ids  # the ids of `id_bindings`, read from the target

    def item_path(self, batch_id: str) -> str:
        return f"{self.batch_path}/{batch_id}"

    def expected_statuses(self, operation_id: str) -> list[str] | None:
        extra = self.business_statuses.get(operation_id)
        return [*POSITIVE_STATUSES, *extra] if extra else None
