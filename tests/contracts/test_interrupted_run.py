"""A run stopped with Ctrl-C says it was interrupted and fails, whichever suite it was in."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ctrl_c_during_the_fuzzing_phase_fails_the_run(
    contract_sandbox: Callable[..., str], tmp_path: Path
) -> None:
    url = contract_sandbox(clock="manual")
    junit = tmp_path / "junit.xml"
    with subprocess.Popen(
        [sys.executable, "-m", "contracts", "run", "--base-url", url, "--api-key", "sk_test_sandbox",
         "--seed", "7", "--max-examples", "100", "--suite", "schema", "--junit-xml", str(junit)],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as kit:
        watchdog = threading.Timer(120, kit.kill)  # (a kit that hangs fails the test, not the run)
        watchdog.start()
        try:
            assert kit.stdout is not None and kit.stderr is not None
            seen = []
            for line in kit.stdout:
                seen.append(line)
                if "fuzzing phase …" in line:
                    time.sleep(0.3)  # inside the phase (100 cases an operation: many seconds long)
                    kit.send_signal(signal.SIGINT)
                    break
            out, err = "".join(seen) + kit.stdout.read(), kit.stderr.read()
            code = kit.wait()
        finally:
            watchdog.cancel()
    assert code == 2, (out, err)
    assert "batchcalls-contract: interrupted" in err
    assert "CONFORMANT" not in out  # (before: "CONFORMANT: … requirements passed", exit 0)
    assert "interrupted" in junit.read_text(encoding="utf-8")  # the report says so too
