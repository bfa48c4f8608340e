"""`batchcalls-mock mcp`: the MCP server over stdio, for a coding assistant to start.

Without `--url` it starts a sandbox in this process (on 127.0.0.1, a free port unless `--port`
says; every `serve` flag applies: `--clock manual --start-at …`), and the tools use it over HTTP, as
the user's own code can. With `--url` it attaches to a running sandbox, as the credentials given
(`--api-key`, or `--zudu-key` and `--zudu-secret`, and/or `--admin-token`) allow. Standard output
carries the protocol alone: the banner and the access log go to standard error.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any

import anyio
import httpx
import orjson

from mock_server.engine.hosts import is_loopback
from mock_server.flags import add_flags
from mock_server.mcp_server.endpoint import INSTRUCTIONS, PROBE
from mock_server.mcp_server.kit_tool import ContractKit, KitPolicy
from mock_server.mcp_server.sandbox_client import Credentials, SandboxClient
from mock_server.settings import Settings

REQUEST_TIMEOUT_SECONDS = (
    60.0  # a tool's request to the sandbox (an advance over a year of calls takes a while)
)


CREDENTIAL_SETTINGS = ("sandbox_key", "zudu_key", "zudu_secret", "admin_token")  # what --url may take


class Unusable(Exception):
    """The sandbox cannot be started or reached; the message is one sentence for the user."""


def add_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--url", default=None, help="attach to the sandbox running at this URL instead of starting one"
    )
    command.add_argument(
        "--kit-allow-host",
        action="append",
        default=[],
        metavar="HOST",
        help="let the run_contract_kit tool send requests to HOST (beyond loopback); repeatable",
    )


def _attach_parser() -> argparse.ArgumentParser:
    """`serve`'s credential flags, read as `serve` reads them."""
    parser = argparse.ArgumentParser(prog="batchcalls-mock mcp --url", add_help=False, exit_on_error=False)
    add_flags(parser, Settings, only=CREDENTIAL_SETTINGS)
    return parser


def _attach(url: str, rest: Sequence[str]) -> tuple[Credentials, dict[str, Any], str]:
    try:
        flags, unknown = _attach_parser().parse_known_args(rest)
    except argparse.ArgumentError as exc:
        raise Unusable(str(exc)) from None
    if unknown:
        raise Unusable(
            f"with --url, only credentials may be given, not {' '.join(unknown)}: serve flags configure "
            "a sandbox this command starts, so leave out --url for that"
        )
    credentials = Credentials.of(
        api_key=flags.sandbox_key,
        zudu_key=flags.zudu_key,
        zudu_secret=flags.zudu_secret,
        admin_token=flags.admin_token,
    )
    origin = url.rstrip("/")
    try:
        with httpx.Client(base_url=origin, timeout=10) as client:
            document = client.get("/_mock/openapi.json")
            probe = client.get(PROBE, params={"request_id": "-"}, headers=dict(credentials.headers))
    except httpx.HTTPError as exc:
        raise Unusable(f"cannot reach the sandbox at {origin}: {exc or type(exc).__name__}") from None
    if document.status_code != 200 or probe.status_code != 200:
        answer = probe if document.status_code == 200 else document
        raise Unusable(f"the sandbox at {origin} answered {answer.status_code}: {answer.text[:300]}")
    return credentials, orjson.loads(document.content), origin


@contextlib.contextmanager
def _in_process(rest: Sequence[str]) -> Iterator[tuple[Credentials, dict[str, Any], str, str]]:
    from contracts.errors import KitError
    from contracts.inprocess import serve
    from mock_server import cli
    from mock_server.app import create_app

    given = list(rest)
    if not any(flag == "--port" or flag.startswith("--port=") for flag in given):
        given += ["--port", "0"]  # any free port: a fixed one may be taken by another sandbox
    args = cli.parser().parse_args(["serve", *given])
    if not is_loopback(args.host):
        raise Unusable(
            "the sandbox of `batchcalls-mock mcp` listens on loopback only: use `serve` to host one"
        )
    if args.workers != 1:
        raise Unusable("--workers is for `serve`: the sandbox of `batchcalls-mock mcp` is one process")
    settings = cli.settings_from(args)
    with contextlib.ExitStack() as stack:
        try:
            app = create_app(settings)
            document = orjson.loads(settings.control_spec_path.read_bytes())
            origin = stack.enter_context(serve(app, host=args.host, port=args.port))
        except (ValueError, OSError, KitError) as exc:  # a state file that does not match, a taken port
            raise Unusable(str(exc)) from None
        banner = cli.banner(origin, settings, time.time())
        print(banner, file=sys.stderr, flush=True)
        key, _ = settings.default_credentials()
        credentials = Credentials.of(api_key=key, admin_token=settings.admin_token)
        yield credentials, document, origin, banner


async def _serve_stdio(
    origin: str, credentials: Credentials, document: dict[str, Any], instructions: str, kit: ContractKit
) -> None:
    from mcp.server.stdio import stdio_server  # the SDK: only once the command runs

    from mock_server.mcp_server.server import Toolbox, build_server

    async with httpx.AsyncClient(base_url=origin, timeout=REQUEST_TIMEOUT_SECONDS) as client:
        toolbox = Toolbox(SandboxClient(client), document, kit)
        server = build_server(toolbox, lambda _ctx: credentials, instructions)
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())


def run(args: argparse.Namespace, rest: Sequence[str]) -> int:
    kit = ContractKit(KitPolicy(frozenset(host.lower() for host in args.kit_allow_host)))
    try:
        if args.url is not None:
            credentials, document, origin = _attach(args.url, rest)
            anyio.run(
                _serve_stdio, origin, credentials, document, f"{INSTRUCTIONS}\n\nSandbox: {origin}", kit
            )
            return 0
        with _in_process(rest) as (credentials, document, origin, banner):
            anyio.run(_serve_stdio, origin, credentials, document, f"{INSTRUCTIONS}\n\n{banner}", kit)
        return 0
    except Unusable as exc:
        print(f"batchcalls-mock mcp: {exc}", file=sys.stderr)
        return 2
