"""What the benchmarks read of the processes they start: a sandbox on a free loopback port, and the
CPU time a process has used."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx


def cpu_seconds(pid: int | None) -> float:
    """CPU time the process has used (user + system), from /proc; nan where there is none."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_sandbox(*flags: str) -> tuple[subprocess.Popen[str], str]:
    """`batchcalls-mock serve --port 0 FLAGS` in a subprocess, up and answering: it and its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "serve", "--port", "0", *flags],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    assert process.stdout is not None
    base = process.stdout.readline().rsplit(" ", 1)[1].strip()
    for _ in range(500):
        try:
            httpx.get(f"{base}/_mock/health", timeout=1)
            return process, base
        except httpx.TransportError:
            time.sleep(0.02)
    process.kill()
    raise SystemExit("the server did not start")
