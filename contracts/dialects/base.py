"""`KitDialect`: the profile of one API. Every fact and behaviour of the kit that differs per API
lives in one profile (`truedy/`, `zudu/`, or a profile built outside the kit and handed to it in
`KitConfig.dialect`); the rest of the kit reads it from there and never asks which API it checks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from contracts.checks import EVERY_API, ResponseCheck
from contracts.client import ApiClient, AuthHeaders
from contracts.ledger import Resources
from contracts.spec import NO_FACTS, SpecFacts

if TYPE_CHECKING:
    from contracts.config import KitConfig
    from contracts.fixtures import Fixtures
    from contracts.target import TargetInfo

# positive_data_acceptance's own list (Schemathesis), to which documented business answers are added
POSITIVE_STATUSES = ("2xx", "3xx", "401", "403", "404", "409", "429", "5xx")

Recognizes = Callable[[Mapping[str, Any]], bool]  # does this OpenAPI document describe the API?
SchemathesisAuth = Callable[[Mapping[str, Any], str, str | None], Any]
# what a run will do (the config, the target, its fixtures, where the second workspace comes from)
Plan = Callable[["KitConfig", "TargetInfo", "Fixtures", str], list[str]]
DiscoverIds = Callable[["ApiClient", "Fixtures"], dict[str, list[str]]]
# the sandbox's answer to POST /_mock/workspaces -> this API's credentials of that workspace
WorkspaceCredentials = Callable[[Mapping[str, Any]], tuple[str, str | None] | None]
# an answer's JSON body -> (id, status) of every batch it shows, for the lifecycle the proxy follows
BatchStates = Callable[[Any], Iterable[tuple[Any, Any]]]


@dataclass(frozen=True, slots=True)
class ReadAfterWrite:
    """What `contracts.consistency` needs to know of an API to check that reads agree with writes."""

    writes: frozenset[str]  # operationIds whose 2xx answer shows the batch as written
    deletes: frozenset[str]  # operationIds that delete the batch their path names
    reads: frozenset[str]  # operationIds whose answer shows batches (one, or a page)
    path_id: str  # the path parameter naming the batch
    id_field: str  # the batch's id in an answer
    fields: tuple[str, ...]  # what a client writes: a later read shows the same values
    deleted_from: frozenset[str]  # statuses in which a 2xx delete removes the batch (then reads 404)
    items: Callable[[Any], Iterable[Mapping[str, Any]]]  # the batches an answer's JSON body shows


@dataclass(frozen=True, slots=True)
class FixtureField:
    """An id (or list of numbers) a profile's rules need on the target, and its place in the
    fixtures file (`section.key`). Rules ask for it by `name` (`needs=`, `ctx.fixture(name)`)."""

    name: str
    section: str
    key: str
    default: str | tuple[str, ...] | None  # the sandbox's (every workspace has it); None: none
    note: str  # what it is, for the fixtures file's example
    aliases: tuple[str, ...] = ()  # other keys of the section accepted for it
    numbers: int = 0  # > 0: a list of at least this many phone numbers instead of one id


def _no_ids(client: ApiClient, fixtures: Fixtures) -> dict[str, list[str]]:
    return {}


@dataclass(frozen=True, slots=True)
class KitDialect:
    name: str
    api: str  # how messages name the API
    recognizes: Recognizes  # from its security schemes (`schemes.py`)
    scheme_text: str  # what `recognizes` looks for, for the message when no profile does
    # the wire
    probe_path: str  # a cheap authenticated list read that proves the target speaks the API
    probe_params: Mapping[str, Any]
    base_path_hint: str  # how messages say what --base-url should be
    secret_name: str | None  # what the API calls the secret sent with the key; None: a key alone
    auth_headers: AuthHeaders  # the credential headers; None leaves that header out (the 401 rules)
    schemathesis_auth: SchemathesisAuth  # the `auth.openapi` section of a Schemathesis config
    sandbox_credentials: tuple[str, str | None]  # the sandbox's default workspace's key (and secret)
    workspace_credentials: WorkspaceCredentials
    # what the suites check
    checks: tuple[ResponseCheck, ...]  # every answer obeys them (the other profiles' are switched off)
    # modules (or packages: every module in them) whose `@rule`s are this API's, by dotted name
    rule_modules: tuple[str, ...]
    # operationId -> statuses a schema-valid request may get that the spec's x-error-codes do not
    # already say (cross-field validation, CSV rows, an API whose spec lists no codes)
    business_statuses: Mapping[str, tuple[str, ...]]
    # batch status -> the statuses it may be seen in next (the documented lifecycle; the proxy)
    lifecycle: Mapping[str, frozenset[str]]
    batch_states: BatchStates
    # what the run creates, how it names and removes it
    resources: Resources
    tagged_fields: Mapping[str, tuple[str, int]]  # operationId -> name-like field, its maxLength
    plan: Plan  # what a run will create, said before it starts
    fixtures: tuple[FixtureField, ...] = ()
    # where the fuzzers draw ids that exist on the target: dictionary -> parameters
    id_bindings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    discover_ids: DiscoverIds = _no_ids  # the ids of `id_bindings`, read from the target
    every_api_checks: bool = True  # apply `checks.EVERY_API` too
    read_after_write: ReadAfterWrite | None = None  # None: reads are not checked against writes

    @property
    def needs_secret(self) -> bool:
        return self.secret_name is not None

    @property
    def answer_checks(self) -> tuple[ResponseCheck, ...]:
        """Every check an answer of this API obeys: the checks of every API, then its own."""
        return (*EVERY_API, *self.checks) if self.every_api_checks else self.checks

    def expected_statuses(self, operation_id: str, facts: SpecFacts = NO_FACTS) -> list[str] | None:
        """positive_data_acceptance's statuses for the operation, when business answers add any."""
        extra = {
            *self.business_statuses.get(operation_id, ()),
            *facts.business_statuses.get(operation_id, ()),
        }
        added = sorted(extra - set(POSITIVE_STATUSES))
        return [*POSITIVE_STATUSES, *added] if added else None

    def extended(
        self, *, checks: tuple[ResponseCheck, ...] = (), rule_modules: tuple[str, ...] = ()
    ) -> KitDialect:
        """This profile with more checks and rule modules: how a check or rule written outside the
        kit is added to an API's (hand the result to the kit in `KitConfig.dialect`)."""
        return dataclasses.replace(
            self, checks=(*self.checks, *checks), rule_modules=(*self.rule_modules, *rule_modules)
        )
