"""Fuzz the sandbox with its own contract kit: every suite and check, zero findings required.

    python scripts/fuzz_self_check.py [--max-examples 450] [--min-cases 10000] [--seed 1]

Starts `batchcalls-mock serve` on a loopback port the OS picks, runs `batchcalls-contract run` over
it, and fails unless the kit exits 0 having sent at least --min-cases test cases. Bounded by
--time-limit seconds. CI runs the same command with a small budget.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-examples", type=int, default=450)
    parser.add_argument("--min-cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=int, default=1500, help="seconds for the whole run")
    parser.add_argument("--report", default="reports/fuzz-self-check.md")
    opts = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "serve", "--port", "0", "--seed", str(opts.seed)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()
        match = re.search(r"listening on (http://\S+)", banner)
        if match is None:
            print(f"the sandbox did not start: {banner!r}", file=sys.stderr)
            return 2
        started = time.monotonic()
        kit = subprocess.run(
            [sys.executable, "-m", "contracts", "run", "--base-url", match.group(1),
             "--api-key", "sk_test_sandbox", "--seed", str(opts.seed),
             "--max-examples", str(opts.max_examples), "--report", opts.report],
            capture_output=True, text=True, timeout=opts.time_limit,
        )
        took = time.monotonic() - started
    finally:
        server.terminate()
        server.communicate(timeout=10)
    print(kit.stdout[-4000:], end="")
    sent = re.search(r"test cases sent: (\d+)", kit.stdout)
    cases = int(sent.group(1)) if sent else 0
    print(f"fuzz self-check: exit {kit.returncode}, {cases} test cases in {took:.0f} s")
    if kit.returncode != 0:
        print(kit.stderr[-2000:], file=sys.stderr)
        return 1
    if cases < opts.min_cases:
        print(f"only {cases} test cases; raise --max-examples to reach {opts.min_cases}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
