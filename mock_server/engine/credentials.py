"""Credential schemes: how an API's requests say which workspace they act for.

A scheme is one object per API (its dialect's `credentials.py` builds it from the classes here):
the headers it reads and how it parses them, which of them the request journal hides, which fields
of a workspace hold what it checks, the `WWW-Authenticate` challenge and the words of its 401s.
Everything that needs credentials asks a scheme (the sandbox finding a request's world, each
dialect's authentication, the control API, the cluster, the journal's redaction), so a header
name is written once, in the dialect's own module.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from mock_server.core.errors import Unauthorized
from mock_server.store.base import Workspace

# What a request presents: (the key that names a workspace, the secret that proves it or None
# when the key is its own proof). A plain tuple: it is read twice a request, and a NamedTuple cost
# a twentieth of a request's instructions. A key of "" names no workspace (malformed).
Credential = tuple[str, str | None]
MALFORMED: Credential = ("", None)  # carried, but not in the scheme's form: names no workspace


class CredentialScheme(Protocol):
    @property
    def name(self) -> str: ...  # unique among the schemes of one sandbox

    @property
    def hint(self) -> str: ...  # how a client sends it, in words ("Authorization: Bearer <key>")

    @property
    def secret_headers(self) -> frozenset[str]: ...  # lower-case: what the request journal hides

    @property
    def challenge(self) -> str | None: ...  # `WWW-Authenticate` of its 401s

    @property
    def missing(self) -> str: ...  # the 401's words when the request carries none (or malformed)

    @property
    def invalid(self) -> str: ...  # the 401's words when they name no workspace

    @property
    def has_secret(self) -> bool: ...  # its credentials carry a secret besides the key

    def read(self, headers: Mapping[str, str]) -> Credential | None:
        """The credential the request carries (`MALFORMED` when not in this scheme's form), or None
        when it carries none of this scheme's headers."""
        ...

    def key_of(self, workspace: Workspace) -> str | None:
        """The key that names `workspace` in this scheme (None: it has none)."""
        ...

    def secret_of(self, workspace: Workspace) -> str | None:
        """What a credential's secret must equal (None: the key is its own proof)."""
        ...

    def sent_as(self, key: str, secret: str | None = None) -> dict[str, str]:
        """The headers a client sends to present `key` (and `secret`)."""
        ...


WorkspaceField = Callable[[Workspace], "str | None"]


def api_key(workspace: Workspace) -> str | None:
    """The workspace's key: one per workspace, whichever API's header carries it."""
    return workspace.api_key


@dataclass(frozen=True, slots=True)
class KeyHeader:
    """A workspace key in a header of its own (`X-Partner-Key: <key>`); with `prefix` the value is
    `<prefix> <key>`, the prefix read without regard to case (RFC 6750's `Authorization: Bearer`)."""

    name: str
    hint: str
    header: str  # lower case
    key_field: WorkspaceField
    missing: str
    invalid: str
    prefix: str | None = None
    challenge: str | None = None
    has_secret = False
    _prefix: str = field(init=False, repr=False)  # lower case, as it is compared

    def __post_init__(self) -> None:
        object.__setattr__(self, "_prefix", (self.prefix or "").lower())

    @property
    def secret_headers(self) -> frozenset[str]:
        return frozenset({self.header})

    def read(self, headers: Mapping[str, str]) -> Credential | None:
        value = headers.get(self.header)
        if not value:
            return None
        if self.prefix is None:
            return (value.strip(), None) if value.strip() else None
        prefix, _, key = value.partition(" ")
        key = key.strip()
        if key and prefix.lower() == self._prefix:
            return (key, None)
        return MALFORMED if value.strip() else None

    def key_of(self, workspace: Workspace) -> str | None:
        return self.key_field(workspace)

    def secret_of(self, workspace: Workspace) -> str | None:
        return None

    def sent_as(self, key: str, secret: str | None = None) -> dict[str, str]:
        return {self.header: f"{self.prefix} {key}" if self.prefix else key}


@dataclass(frozen=True, slots=True)
class KeyAndSecret:
    """A key id and its secret, each in a header of its own; only the secret is hidden."""

    name: str
    hint: str
    key_header: str  # lower case
    secret_header: str  # lower case
    key_field: WorkspaceField
    secret_field: WorkspaceField
    missing: str
    invalid: str
    challenge: str | None = None
    has_secret = True

    @property
    def secret_headers(self) -> frozenset[str]:
        return frozenset({self.secret_header})

    def read(self, headers: Mapping[str, str]) -> Credential | None:
        key = headers.get(self.key_header, "").strip()
        if not key:
            return None  # a secret alone names nothing: the request carries no credential of this scheme
        secret = headers.get(self.secret_header, "").strip()
        return (key, secret) if secret else MALFORMED

    def key_of(self, workspace: Workspace) -> str | None:
        return self.key_field(workspace)

    def secret_of(self, workspace: Workspace) -> str | None:
        return self.secret_field(workspace)

    def sent_as(self, key: str, secret: str | None = None) -> dict[str, str]:
        return {self.key_header: key, self.secret_header: secret or ""}


W = TypeVar("W")
W_co = TypeVar("W_co", covariant=True)


class WorldsByCredential(Protocol[W_co]):
    """Where a credential's world is found (the sandbox)."""

    def world_for(self, scheme: CredentialScheme, credential: Credential) -> W_co | None: ...


def proves(scheme: CredentialScheme, workspace: Workspace, secret: str | None) -> bool:
    """Whether `secret` is the workspace's in a scheme with secrets (compared in constant time, as
    bytes: a header with non-ASCII characters is a wrong secret, not a crash)."""
    expected = scheme.secret_of(workspace)
    if expected is None or secret is None:
        return False
    return hmac.compare_digest(expected.encode(), secret.encode())


def authenticate(scheme: CredentialScheme, worlds: WorldsByCredential[W], headers: Mapping[str, str]) -> W:
    """The world of the request's credentials in `scheme`, or its 401."""
    credential = scheme.read(headers)
    if credential is None or not credential[0]:
        raise Unauthorized(scheme.missing, challenge=scheme.challenge)
    world = worlds.world_for(scheme, credential)
    if world is None:
        raise Unauthorized(scheme.invalid, challenge=scheme.challenge)
    return world


def hidden_headers(schemes: Iterable[CredentialScheme], *others: str) -> frozenset[str]:
    """Every header the schemes hide, and `others`."""
    return frozenset({name for scheme in schemes for name in scheme.secret_headers} | set(others))
