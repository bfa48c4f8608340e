"""`batchcalls-mock readiness`: fetch a workspace's readiness report and print or save it.

Exit status: 0 when the verdict is `ready`, 1 when it is `not_ready` or `incomplete` (so a CI job
can gate on it), 2 when the report could not be read (connection, credentials, no session).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import httpx

from mock_server.control.admin_token import ADMIN_HEADER
from mock_server.dialects.truedy.credentials import BEARER_KEY
from mock_server.flag_values import positive


class ReportUnavailable(Exception):
    """The report could not be read; the message is one sentence for the user."""


def add_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("--url", required=True, help="the sandbox's base URL, e.g. http://127.0.0.1:8080")
    command.add_argument("--api-key", required=True, help="the workspace's API key (Bearer)")
    command.add_argument("--admin-token", default=None, help="the sandbox's admin token, if it has one")
    command.add_argument("--html", type=Path, default=None, metavar="FILE",
                         help="write the HTML report to FILE instead of printing Markdown")
    command.add_argument("--timeout", type=positive, default=10.0, metavar="SECONDS",
                         help="seconds to wait for the sandbox (default 10)")


def _message(response: httpx.Response) -> str:
    try:
        body: Any = response.json()
        return str(body["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.text.strip()[:200] or response.reason_phrase


def fetch(client: httpx.Client, url: str, fmt: str) -> httpx.Response:
    try:
        response = client.get(f"{url.rstrip('/')}/_mock/readiness", params={"format": fmt})
    except httpx.HTTPError as exc:
        raise ReportUnavailable(f"cannot reach the sandbox at {url}: {exc or type(exc).__name__}") from None
    if response.status_code == 401:
        raise ReportUnavailable(f"the sandbox at {url} refused the credentials: {_message(response)}")
    if response.status_code != 200:
        raise ReportUnavailable(f"the sandbox at {url} answered {response.status_code}: {_message(response)}")
    return response


def run(args: argparse.Namespace) -> int:
    headers = BEARER_KEY.sent_as(args.api_key)
    if args.admin_token:
        headers[ADMIN_HEADER] = args.admin_token
    try:
        with httpx.Client(headers=headers, timeout=args.timeout) as client:
            verdict = fetch(client, args.url, "json").json().get("verdict")
            rendered = fetch(client, args.url, "html" if args.html else "md").text
    except (ReportUnavailable, ValueError) as exc:
        print(exc if isinstance(exc, ReportUnavailable) else "the sandbox's report is not JSON",
              file=sys.stderr)
        return 2
    if args.html is None:
        sys.stdout.write(rendered)
    else:
        try:
            args.html.write_text(rendered, encoding="utf-8")
        except OSError as exc:
            print(f"cannot write {args.html}: {exc.strerror}", file=sys.stderr)
            return 2
        print(f"verdict {verdict}; report written to {args.html}")
    return 0 if verdict == "ready" else 1
