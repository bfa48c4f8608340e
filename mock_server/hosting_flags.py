"""A hosted sandbox's flags: what `serve` refuses to start with, and the banner's credential lines
(see docs/SECURITY.md's part on the control API and hosting). The flags themselves are declared
with their `Settings` fields."""

from __future__ import annotations

from mock_server.engine.hosts import is_loopback
from mock_server.settings import Settings

HIDDEN_KEY = "none well-known (--admin-token): the admin reads it with GET /_mock/workspaces"


def refusal(settings: Settings) -> str | None:
    """Why `serve` must not start a sandbox so hosted, in one sentence; None when it may."""
    host = settings.listen_host
    if host is not None and not is_loopback(host) and not settings.admin_token:
        return f"refusing to listen on {host} without --admin-token: /_mock would be open to the network"
    if settings.admin_token and (settings.zudu_key is None) != (settings.zudu_secret is None):
        return ("with --admin-token, give both --zudu-key and --zudu-secret (or neither): a Zudu pair whose "
                "other half is the README's would open the default workspace to anyone")
    return None


def credential_lines(base_url: str, settings: Settings) -> list[str]:
    """The banner's lines about the APIs served and the default workspace's credentials."""
    key, pair = settings.default_credentials()
    lines = []
    if "truedy" in settings.dialects:
        shown = f"{key}   (Authorization: Bearer {key})" if key else f"{HIDDEN_KEY}, or set --api-key"
        lines += [f"  API base URL : {base_url}/api/public/v1", f"  API key      : {shown}"]
    if "zudu" in settings.dialects:
        pair_shown = f"X-API-KEY: {pair[0]}   X-API-SECRET: {pair[1]}" if pair else (
            f"{HIDDEN_KEY}, or set --zudu-key and --zudu-secret")
        lines += [f"  Zudu API     : {base_url}/batch-call", f"  Zudu pair    : {pair_shown}"]
    return lines
