"""`batchcalls-mock impact --url URL --spec NEW`: which of the partners' real requests a changed
document would break, from every workspace's request journal (the admin's read,
`GET /_mock/workspaces/{workspace_id}/requests?format=har`).

Each workspace's journal is fetched a page at a time (oldest first) into a HAR file of its own, in
a temporary folder, replayed by `batchcalls-contract diff`'s traffic replay against OLD (by default
the document the sandbox serves for its public API, `openapi.json`) and NEW, and deleted: the disk
holds one journal at a time. The report is `diff OLD NEW --traffic`'s, one traffic line per
workspace, e.g. `ws_0a5d6baa9455: 37 of 1,204 requests would be refused by NEW (first: POST
/batch-calls, `timezone` now required), 0 responses out of contract`.

Exit status as `diff`'s: 0 nothing breaking, 1 breaking (a change, or a workspace's traffic),
2 could not compare or could not read the sandbox (one sentence on stderr).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from contracts.errors import KitError
from contracts.har import HarWriter
from mock_server import __version__
from mock_server.control.admin_token import ADMIN_HEADER
from mock_server.flag_values import positive
from mock_server.settings import default_spec_path

PAGE = 1000  # the journal's largest page (`limit`)
FORMATS = ("console", "markdown", "json")


class SandboxUnreadable(Exception):
    """The sandbox could not be read; the message is one sentence for the user."""


def add_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("--url", required=True, help="the sandbox's base URL, e.g. http://127.0.0.1:8080")
    command.add_argument("--spec", required=True, metavar="NEW",
                         help="the changed OpenAPI document: a file or an http(s) URL")
    command.add_argument("--old", default=str(default_spec_path()), metavar="OLD",
                         help="the document clients use now (default: the bundled openapi.json)")
    command.add_argument("--admin-token", default=None, help="the sandbox's admin token, if it has one")
    command.add_argument("--format", choices=FORMATS, default="console",
                         help="console (default), markdown or json")
    command.add_argument("--timeout", type=positive, default=30.0, metavar="SECONDS",
                         help="seconds to wait for each answer of the sandbox (default 30)")


def _get(client: httpx.Client, path: str, params: dict[str, Any] | None = None) -> Any:
    try:
        response = client.get(path, params=params)
    except httpx.HTTPError as exc:
        raise SandboxUnreadable(f"cannot reach the sandbox at {client.base_url}: "
                                f"{exc or type(exc).__name__}") from None
    if response.status_code == 401:
        raise SandboxUnreadable(f"the sandbox at {client.base_url} refused the admin token "
                                "(give it with --admin-token)")
    if response.status_code != 200:
        raise SandboxUnreadable(f"the sandbox at {client.base_url} answered {response.status_code} "
                                f"to GET {path}")
    try:
        return response.json()
    except ValueError:
        raise SandboxUnreadable(f"the sandbox at {client.base_url} did not answer JSON to GET {path}") \
            from None


def workspaces(client: httpx.Client) -> list[str]:
    return [str(w["workspace_id"]) for w in _get(client, "/_mock/workspaces")["data"]]


def _pages(client: httpx.Client, workspace_id: str) -> Iterator[list[dict[str, Any]]]:
    """The workspace's journal, oldest page first (the journal pages newest first: offset 0 is the
    newest entry), each page's entries oldest first as HAR lists them."""
    path = f"/_mock/workspaces/{workspace_id}/requests"
    offset = int(_get(client, path, {"format": "har", "limit": 1})["log"]["_total"])
    while offset > 0:
        start = max(offset - PAGE, 0)
        log = _get(client, path, {"format": "har", "limit": offset - start, "offset": start})["log"]
        yield list(log["entries"])
        offset = start


def download(client: httpx.Client, workspace_id: str, path: Path) -> int:
    """The workspace's journal written to a HAR file; how many entries."""
    writer = HarWriter(path, "batchcalls-mock impact", __version__)
    try:
        for page in _pages(client, workspace_id):
            for entry in page:
                writer.add_entry(entry)
    finally:
        writer.close()
    return writer.count


def run(args: argparse.Namespace) -> int:
    # the kit's diff (jsonschema-rs, the document walk) is imported here: `serve` starts without it
    from contracts.evolution.command import render
    from contracts.evolution.compare import compare
    from contracts.evolution.document import Limits, Spec
    from contracts.evolution.result import DiffResult
    from contracts.evolution.rules import Level
    from contracts.evolution.source import to_uri
    from contracts.evolution.traffic import replay
    from contracts.evolution.validation import Judge

    headers = {ADMIN_HEADER: args.admin_token} if args.admin_token else {}
    try:
        limits = Limits(timeout=args.timeout)
        old, new = Spec(to_uri(args.old), args.old, limits), Spec(to_uri(args.spec), args.spec, limits)
        changes = compare(old, new)
        old_judge, new_judge = Judge(old), Judge(new)
        impacts = []
        with httpx.Client(base_url=args.url.rstrip("/"), headers=headers, timeout=args.timeout) as client, \
                tempfile.TemporaryDirectory(prefix="batchcalls-impact-") as folder:
            for workspace_id in workspaces(client):
                har = Path(folder) / "journal.har"
                download(client, workspace_id, har)
                impacts.append(replay(har, old_judge, new_judge, workspace_id))
                har.unlink()
    except (SandboxUnreadable, KitError) as exc:  # a document, the HAR file: one sentence
        print(exc, file=sys.stderr)
        return 2
    result = DiffResult(args.old, args.spec, tuple(changes), Level.BREAKING, tuple(impacts))
    print(render(result, args.format, new), end="", flush=True)
    return result.exit_code
