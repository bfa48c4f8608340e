"""Acme's business rule, pure: a workspace's call lists have distinct names (422 duplicate_name)."""

from __future__ import annotations

from collections.abc import Iterable

from mock_server.core.errors import BusinessRuleViolation


def require_unique_name(name: str, existing: Iterable[str]) -> None:
    if any(other.casefold() == name.casefold() for other in existing):
        raise BusinessRuleViolation(
            "duplicate_name", f"a call list named '{name}' exists in this workspace", {"name": name}
        )
