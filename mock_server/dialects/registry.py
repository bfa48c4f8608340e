"""The APIs a sandbox can serve, as values the app factory takes (`create_app(settings, dialects=…)`).

A `DialectKind` is everything the factory needs to know of one API: its name (as `--dialect` and
`Settings.dialects` say it), where its contract is read from and served at, its credential scheme
(every scheme the sandbox knows names workspaces, on the control API too, whether its API is served
or not), and how its dialect is built. `BUILT_IN` are Truedy's and Zudu's; another API is one more
value (tests/extending/ serves a third one without an edit here).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from mock_server.dialects.truedy.credentials import BEARER_KEY
from mock_server.dialects.truedy.dialect import TruedyDialect
from mock_server.dialects.zudu.credentials import KEY_AND_SECRET
from mock_server.dialects.zudu.dialect import ZuduDialect
from mock_server.engine.context import Dialect
from mock_server.engine.credentials import CredentialScheme
from mock_server.engine.spec import Spec
from mock_server.settings import Settings
from mock_server.world import WorldDirectory


@dataclass(frozen=True, slots=True)
class DialectKind:
    name: str  # unique; as `Settings.dialects` names it
    title: str  # of its page of the API reference (/docs)
    document: str  # the path its OpenAPI document is served at, as read
    spec_path: Callable[[Settings], Path]  # where its contract is read from (once, at start-up)
    credentials: CredentialScheme
    build: Callable[[Spec, WorldDirectory], Dialect]


def _truedy_spec(settings: Settings) -> Path:
    return settings.spec_path


def _zudu_spec(settings: Settings) -> Path:
    return settings.zudu_spec_path


TRUEDY = DialectKind("truedy", "Truedy API", "/openapi.json", _truedy_spec, BEARER_KEY, TruedyDialect)
ZUDU = DialectKind("zudu", "Zudu API", "/openapi.zudu.json", _zudu_spec, KEY_AND_SECRET, ZuduDialect)
BUILT_IN: tuple[DialectKind, ...] = (TRUEDY, ZUDU)


def credential_schemes(kinds: Iterable[DialectKind]) -> tuple[CredentialScheme, ...]:
    return tuple(kind.credentials for kind in kinds)
