"""The APIs the kit knows, each one `KitDialect` profile (`base.py`), told apart by the spec's
security schemes.

- Truedy's Batch Calls API (`truedy/`): an HTTP bearer scheme, base path /api/public/v1,
  `{data, meta}` / `{error: {code, message, details}, meta}` envelopes.
- Zudu's batch-call API, seed 004 (`zudu/`): apiKey headers X-API-KEY and X-API-SECRET, paths
  at the server's root, `{message, status, error, data}` envelopes.

A profile's folder holds everything the kit knows of its API: the profile (`__init__.py`), its
response checks (`checks.py`) and its rules (`rules/`). Another API needs no edit here: build a
`KitDialect` anywhere and hand it to the kit (`KitConfig.dialect`, `ProxyConfig.dialect`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.curl import API_KEY_ENV, API_SECRET_ENV, OTHER_CREDENTIAL_HEADERS
from contracts.dialects.base import FixtureField, KitDialect
from contracts.dialects.truedy import TRUEDY
from contracts.dialects.zudu import ZUDU
from contracts.errors import SpecError

__all__ = ["DIALECTS", "TRUEDY", "ZUDU", "FixtureField", "KitDialect", "credential_headers", "dialect_of"]

# tried in this order: the more specific security schemes first
DIALECTS: tuple[KitDialect, ...] = (ZUDU, TRUEDY)


def dialect_of(document: Mapping[str, Any], known: tuple[KitDialect, ...] = DIALECTS) -> KitDialect:
    """The first profile of `known` that recognizes the spec's security schemes; else a SpecError."""
    for dialect in known:
        if dialect.recognizes(document):
            return dialect
    wanted = " nor ".join(d.scheme_text for d in sorted(known, key=lambda d: d.name))
    raise SpecError(f"the spec's security schemes are neither {wanted}: the kit cannot authenticate")


def credential_headers(*more: KitDialect) -> dict[str, str]:
    """Lower-case name of every header that carries a credential, in any API the kit knows (each
    profile's auth headers, asked with stand-in values, and those of `more`) or in the sandbox (its
    admin token) -> the environment variable that stands for it in a reproduction."""
    key, secret = "\x00key", "\x00secret"
    found = dict(OTHER_CREDENTIAL_HEADERS)
    for dialect in (*DIALECTS, *more):
        for name, value in dialect.auth_headers(key, secret).items():
            found[name.lower()] = API_SECRET_ENV if secret in value else API_KEY_ENV
    return found
