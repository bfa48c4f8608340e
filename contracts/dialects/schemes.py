"""The spec's security schemes, as the profiles and `dialect_of` read them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


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
