"""Truedy's credentials: the workspace's API key as a Bearer token (the one place its header is named)."""

from __future__ import annotations

from mock_server.engine.credentials import KeyHeader, api_key

BEARER_KEY = KeyHeader(
    name="truedy",
    hint="Authorization: Bearer <key>",
    header="authorization",
    prefix="Bearer",
    key_field=api_key,
    challenge='Bearer realm="truedy"',
    missing="missing bearer token: send 'Authorization: Bearer <api key>'",
    invalid="the API key is not valid",
)
