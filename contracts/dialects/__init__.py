"""The APIs the kit knows, told apart by the spec's security schemes.

- Truedy's Batch Calls API (`truedy.py`): an HTTP bearer scheme, base path /api/public/v1,
  `{data, meta}` / `{error: {code, message, details}, meta}` envelopes.
- Zudu's batch-call API, seed 004 (`zudu.py`): apiKey headers X-API-KEY and X-API-SECRET, paths
  at the server's root, `{message, status, error, data}` envelopes.

Each is one `KitDialect` profile (`base.py`). A new API is a new profile listed in DIALECTS.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.curl import API_KEY_ENV, API_SECRET_ENV, OTHER_CREDENTIAL_HEADERS
from contracts.dialects.base import KitDialect
from contracts.dialects.schemes import bearer_scheme, header_key_schemes
from contracts.dialects.truedy import TRUEDY
from contracts.dialects.zudu import ZUDU
from contracts.errors import SpecError

__all__ = ["DIALECTS", "TRUEDY", "ZUDU", "KitDialect", "credential_headers", "dialect_of"]

DIALECTS: tuple[KitDialect, ...] = (TRUEDY, ZUDU)


def dialect_of(document: Mapping[str, Any]) -> KitDialect:
    """Zudu for apiKey X-API-KEY + X-API-SECRET, Truedy for a bearer scheme; otherwise a SpecError."""
    if {"x-api-key", "x-api-secret"} <= set(header_key_schemes(document)):
        return ZUDU
    if bearer_scheme(document) is not None:
        return TRUEDY
    raise SpecError(
        "the spec's security schemes are neither an HTTP bearer scheme (Truedy) nor apiKey headers "
        "X-API-KEY and X-API-SECRET (Zudu): the kit cannot authenticate"
    )


def credential_headers() -> dict[str, str]:
    """Lower-case name of every header that carries a credential, in any API the kit knows (each
    profile's auth headers, asked with stand-in values) or in the sandbox (its admin token) -> the
    environment variable that stands for it in a reproduction."""
    key, secret = "\x00key", "\x00secret"
    found = dict(OTHER_CREDENTIAL_HEADERS)
    for dialect in DIALECTS:
        for name, value in dialect.auth_headers(key, secret).items():
            found[name.lower()] = API_SECRET_ENV if secret in value else API_KEY_ENV
    return found
