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

from contracts.dialects.base import KitDialect
from contracts.dialects.schemes import bearer_scheme, header_key_schemes
from contracts.dialects.truedy import TRUEDY
from contracts.dialects.zudu import ZUDU
from contracts.errors import SpecError

__all__ = ["DIALECTS", "TRUEDY", "ZUDU", "KitDialect", "dialect_of"]

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
