"""The flags of a hosted sandbox: the names it answers, its per-workspace bounds, and what `serve`
refuses to start with (see docs/SECURITY.md's part on the control API and hosting)."""

from __future__ import annotations

import argparse
from typing import Any

from mock_server.engine.hosts import is_host_name, is_loopback
from mock_server.settings import Settings

HIDDEN_KEY = "none well-known (--admin-token): the admin reads it with GET /_mock/workspaces"


def _host_name(value: str) -> str:
    """A name the sandbox may be reached by: a DNS name or an IP address, without a port."""
    name = value.strip().lower().removesuffix(".")
    if not is_host_name(name):
        raise argparse.ArgumentTypeError(
            f"'{value}' is not a host name or an IP address (no scheme, port or path: any port is allowed)"
        )
    return name


def count(value: str) -> int:
    """A flag's whole number of 0 or more (digits only: no sign, point or space)."""
    if not value.isascii() or not value.isdigit():
        raise argparse.ArgumentTypeError(f"'{value}' is not a whole number of 0 or more")
    return int(value)


def add_arguments(serve: argparse.ArgumentParser, defaults: Settings) -> None:
    serve.add_argument(
        "--allowed-host",
        type=_host_name,
        action="append",
        default=[],
        metavar="NAME",
        help="a name the sandbox is reached by (any port), besides loopback's; repeatable. A request "
        "naming another Host is refused (421), so a web page cannot rebind its own name to the sandbox",
    )
    bounds = (
        ("--max-workspaces", "max_workspaces", "workspaces POST /_mock/workspaces may create, at a time"),
        ("--max-fault-rules", "max_fault_rules", "fault rules in force per workspace"),
        ("--max-idempotency-keys", "max_idempotency_keys",
         "idempotency keys kept per workspace (besides their 24 h), oldest dropped"),
        ("--max-idempotency-bytes", "max_idempotency_bytes",
         "bytes the idempotency keys of a workspace may hold (answers included), oldest dropped"),
        ("--max-events", "max_events", "events kept in each workspace's event log, oldest dropped"),
    )
    for flag, name, meaning in bounds:
        default = getattr(defaults, name)
        serve.add_argument(flag, type=count, default=default, metavar="N",
                           help=f"{meaning} (default {default})")


def settings_of(args: argparse.Namespace) -> dict[str, Any]:
    """The Settings fields these flags set."""
    return {
        "listen_host": args.host,
        "allowed_hosts": tuple(args.allowed_host),
        "max_workspaces": args.max_workspaces,
        "max_fault_rules": args.max_fault_rules,
        "max_idempotency_keys": args.max_idempotency_keys,
        "max_idempotency_bytes": args.max_idempotency_bytes,
        "max_events": args.max_events,
    }


def refusal(args: argparse.Namespace) -> str | None:
    """Why `serve` must not start with these flags, in one sentence; None when it may."""
    if not is_loopback(args.host) and not args.admin_token:
        return f"refusing to listen on {args.host} without --admin-token: /_mock would be open to the network"
    if args.admin_token and (args.zudu_key is None) != (args.zudu_secret is None):
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
