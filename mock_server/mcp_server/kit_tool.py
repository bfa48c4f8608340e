"""`run_contract_kit`: the contract kit against a base URL, bounded in time, in what it runs, and
in where it may send requests.

The kit runs as a child process (`python -m contracts run`): a run past its time limit is killed
with everything it started, and it never shares the sandbox's event loop. One run at a time per MCP
server. Where it may send requests (and the key it is given) is the `KitPolicy`: loopback targets,
plus the hosts the user named with `batchcalls-mock mcp --kit-allow-host`; over `/_mock/mcp`, only
loopback and only when the sandbox itself listens on loopback (a hosted sandbox runs no kit: it
would fetch any URL a tenant names from inside the host's network, on the CPU every tenant shares).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mock_server.engine.hosts import is_loopback
from mock_server.mcp_server.sandbox_client import ToolFailure
from mock_server.settings import default_spec_path, default_zudu_spec_path

NAME = "run_contract_kit"
TIME_LIMIT_SECONDS = 120.0  # the whole run; the rules suite takes ~3 s on the sandbox, a schema suite ~25 s
REQUEST_TIMEOUT_SECONDS = 10  # each request of the kit
MAX_EXAMPLES = 10  # generated cases per operation, at most
REPORT_CHARS = 65_536  # of the Markdown report handed back
SUITES = ("rules", "schema", "stateful")
DESCRIPTION = (
    "Run the contract kit (batchcalls-contract) against a server that claims to implement the API, "
    "and answer its verdict and Markdown report (each finding with a curl command that reproduces "
    f"it). Bounded: at most {int(TIME_LIMIT_SECONDS)} s, {MAX_EXAMPLES} generated cases per operation, "
    "one run at a time; targets on loopback only, unless the user allowed a host with "
    "`batchcalls-mock mcp --kit-allow-host HOST`."
)
INPUT_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "base_url": {
            "type": "string",
            "pattern": "^https?://",
            "maxLength": 2048,
            "description": "The API's base URL, e.g. http://127.0.0.1:8080/api/public/v1",
        },
        "api_key": {
            "type": "string",
            "minLength": 1,
            "maxLength": 512,
            "description": "The target workspace's key (Zudu: its X-API-KEY).",
        },
        "api_secret": {
            "type": "string",
            "minLength": 1,
            "maxLength": 512,
            "description": "Zudu only: the workspace's X-API-SECRET.",
        },
        "api": {
            "type": "string",
            "enum": ["truedy", "zudu"],
            "default": "truedy",
            "description": "Which contract to check: Truedy's (openapi.json) or Zudu's.",
        },
        "suites": {
            "type": "array",
            "items": {"type": "string", "enum": list(SUITES)},
            "uniqueItems": True,
            "minItems": 1,
            "default": ["rules"],
            "description": "The suites to run (default: rules).",
        },
        "max_examples": {"type": "integer", "minimum": 1, "maximum": MAX_EXAMPLES, "default": 3},
        "seed": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1, "default": 1},
    },
    "required": ["base_url", "api_key"],
    "additionalProperties": False,
}
VERDICTS = {0: "conformant", 1: "findings"}


@dataclass(frozen=True, slots=True)
class KitPolicy:
    """Where the kit may send requests: `None` refuses every run, with `refusal` as the reason."""

    allowed_hosts: frozenset[str] | None = frozenset()  # beyond loopback
    refusal: str = ""

    def check(self, base_url: str) -> str:
        parts = urlsplit(base_url)
        host = (parts.hostname or "").lower()
        if self.allowed_hosts is None:
            raise ToolFailure("kit_not_allowed", self.refusal)
        if parts.scheme not in ("http", "https") or not host:
            raise ToolFailure("kit_not_allowed", f"'{base_url}' is not an http:// or https:// URL")
        if not is_loopback(host) and host not in self.allowed_hosts:
            raise ToolFailure(
                "kit_not_allowed",
                f"the kit runs against loopback targets only, and {host} is not one: the user may allow "
                f"it with `batchcalls-mock mcp --kit-allow-host {host}`",
            )
        return base_url


def _command(arguments: Mapping[str, Any], report: Path) -> list[str]:
    spec = default_zudu_spec_path() if arguments.get("api") == "zudu" else default_spec_path()
    command = [
        sys.executable,
        "-m",
        "contracts",
        "run",
        "--base-url",
        str(arguments["base_url"]),
        "--spec",
        str(spec),
        "--max-examples",
        str(arguments.get("max_examples", 3)),
        "--seed",
        str(arguments.get("seed", 1)),
        "--timeout",
        str(REQUEST_TIMEOUT_SECONDS),
        "--report",
        str(report),
        "--quiet",
    ]
    for suite in arguments.get("suites", ["rules"]):
        command += ["--suite", str(suite)]
    return command


def _why(output: str) -> str:
    """The kit's one sentence of why it could not check (its stderr line, which it prefixes with its
    name; its stdout says where the report is)."""
    lines = output.strip().splitlines()
    said = [line for line in lines if line.startswith("batchcalls-contract:")]
    return (said or lines or [""])[-1]


class ContractKit:
    """Runs the kit for the tool, one run at a time, under a `KitPolicy`."""

    def __init__(self, policy: KitPolicy, time_limit: float = TIME_LIMIT_SECONDS) -> None:
        self.policy = policy
        self.time_limit = time_limit
        self._running = asyncio.Lock()

    async def run(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        self.policy.check(str(arguments["base_url"]))
        if self._running.locked():
            raise ToolFailure("kit_busy", "a contract kit run is already under way: wait for its answer")
        async with self._running:
            with tempfile.TemporaryDirectory(prefix="batchcalls-kit-") as folder:
                report = Path(folder) / "report.md"
                status, output = await self._run(_command(arguments, report), self._environment(arguments))
                text = report.read_text(encoding="utf-8") if report.exists() else ""
        if status not in VERDICTS:
            raise ToolFailure("kit_could_not_check", _why(output) or f"the kit ended with status {status}")
        return {
            "exit_status": status,
            "verdict": VERDICTS[status],
            "summary": output.strip()[-2000:],
            "report": text[:REPORT_CHARS],
            "report_cut": len(text) > REPORT_CHARS,
        }

    @staticmethod
    def _environment(arguments: Mapping[str, Any]) -> dict[str, str]:
        """Credentials in the environment, never on a command line another user can read."""
        environment = {k: v for k, v in os.environ.items() if not k.startswith("BATCHCALLS_")}
        environment["BATCHCALLS_API_KEY"] = str(arguments["api_key"])
        if arguments.get("api_secret"):
            environment["BATCHCALLS_API_SECRET"] = str(arguments["api_secret"])
        return environment

    async def _run(self, command: list[str], environment: dict[str, str]) -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=environment,
            start_new_session=True,
        )
        try:
            output, _ = await asyncio.wait_for(process.communicate(), self.time_limit)
        except (TimeoutError, asyncio.CancelledError) as exc:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # the kit and whatever it started
            await process.wait()
            if isinstance(exc, asyncio.CancelledError):
                raise
            raise ToolFailure(
                "kit_timed_out",
                f"the run took longer than {self.time_limit:g} s and was "
                "stopped: run fewer suites or fewer examples",
            ) from None
        return process.returncode or 0, output.decode("utf-8", "replace")
