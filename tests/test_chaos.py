"""The chaos self-check at a small budget: hostile requests over three workspaces and both APIs,
with a state file and kill -9 restarts, zero violations (the full budget is in the README)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "chaos_self_check.py"


def test_a_small_chaos_run_finds_no_violation() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--requests", "1000", "--seed", "5", "--state-file",
         "--restarts", "2", "--time-limit", "120"],
        capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert " 0 violations" in done.stdout, done.stdout
