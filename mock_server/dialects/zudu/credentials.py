"""Zudu's credentials: the workspace's key id and secret in two headers (the one place they are named)."""

from __future__ import annotations

from mock_server.engine.credentials import KeyAndSecret
from mock_server.store.base import Workspace


def _key_id(workspace: Workspace) -> str | None:
    return workspace.key_pair[0] if workspace.key_pair is not None else None


def _secret(workspace: Workspace) -> str | None:
    return workspace.key_pair[1] if workspace.key_pair is not None else None


KEY_AND_SECRET = KeyAndSecret(
    name="zudu",
    hint="X-API-KEY and X-API-SECRET",
    key_header="x-api-key",
    secret_header="x-api-secret",
    key_field=_key_id,
    secret_field=_secret,
    missing="missing credentials: send both X-API-KEY and X-API-SECRET",
    invalid="the X-API-KEY and X-API-SECRET pair is not valid",
)
