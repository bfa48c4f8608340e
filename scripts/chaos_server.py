"""How `chaos_self_check.py` runs the sandbox: its options, the flags of `serve`, the process."""

from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx


def options(argv: list[str] | None, description: str) -> argparse.Namespace:
    """The options, and the credentials they imply: `default` (the default workspace's), `admin`
    (the admin token's header; empty unless --hosted)."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--state-file", action="store_true", help="journal to a state file; kill -9 and restart"
    )
    parser.add_argument("--restarts", type=int, default=5, help="kill -9 and restarts (with --state-file)")
    parser.add_argument("--snapshot-batches", type=int, default=200, help="batches per workspace compared")
    parser.add_argument("--time-limit", type=float, default=1200, help="seconds for the whole run")
    parser.add_argument("--hosted", action="store_true",
                        help="serve with --admin-token (and drawn default credentials), as a host would")
    parser.add_argument("--defect", action="append", default=[],
                        help="TEST-ONLY: serve with this deliberate defect, to prove the check finds it")
    parser.add_argument("--without", action="append", default=[], choices=["clock-extremes", "readiness"],
                        help="leave a group of the catalogue out")
    opts = parser.parse_args(argv)
    opts.default = {"api_key": "sk_test_sandbox", "zudu": {"api_key": "zk_test_sandbox",
                                                           "api_secret": "zs_test_sandbox"}}
    opts.admin = {}
    if opts.hosted:  # a host's flags: no well-known key, the admin token for sandbox-wide operations
        opts.default = {"api_key": f"sk_test_{secrets.token_hex(12)}", "zudu": {
            "api_key": f"zk_{secrets.token_hex(12)}", "api_secret": f"zs_{secrets.token_hex(12)}"}}
        opts.admin = {"X-Mock-Admin-Token": secrets.token_urlsafe(16)}
    return opts


def serve_flags(opts: argparse.Namespace, start: str, state_file: Path) -> list[str]:
    flags = ["--clock", "manual", "--start-at", start, "--seed", str(opts.seed)]
    flags += [f"--defect={name}" for name in opts.defect]
    if opts.hosted:
        default, zudu = opts.default, opts.default["zudu"]
        flags += ["--admin-token", opts.admin["X-Mock-Admin-Token"], "--api-key", default["api_key"],
                  "--zudu-key", zudu["api_key"], "--zudu-secret", zudu["api_secret"]]
    if opts.state_file:
        flags += ["--state-file", str(state_file)]
    return flags


class Server:
    def __init__(self, flags: list[str]) -> None:
        self.flags = flags
        self.process: subprocess.Popen[str] | None = None
        self.base = ""

    def start(self) -> str:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mock_server", "serve", "--port", "0", *self.flags],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.process.stdout is not None
        match = re.search(r"listening on (http://\S+)", self.process.stdout.readline())
        if match is None:
            raise SystemExit("the sandbox did not start")
        self.base = match.group(1)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/_mock/health", timeout=2).status_code == 200:
                    return self.base
            except httpx.TransportError:
                time.sleep(0.05)
        raise SystemExit("the sandbox did not answer its health check")

    def kill(self, hard: bool) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL if hard else signal.SIGTERM)
            self.process.communicate(timeout=30)
            self.process = None
