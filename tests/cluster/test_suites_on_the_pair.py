"""The HTTP suites, run again against two `serve --store` instances behind a round-robin forwarder:
`pytest --cluster` in a subprocess (tests/cluster_mode.py), on this session's PostgreSQL.

Left out: tests/readiness (readiness sessions are per instance, docs/SCALING.md), tests/persistence
(the SQLite state file), and suites that start their own processes or need the app object
(tests/web, tests/contracts, tests/test_concurrency.py, …). Within the suites run, tests marked
`in_process` are skipped, and those marked `cluster_xfail` are strict xfails (known store defects).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pg_cluster
import pytest
from cluster_mode import SERVER_ENV

ROOT = Path(__file__).resolve().parents[2]
# two halves of about equal length, so that two xdist workers can run them side by side
HALVES = {
    "truedy": (["tests/dialects/truedy"], 115),
    "worlds-zudu-engine-control": (
        ["tests/dialects/zudu", "tests/test_worlds.py", "tests/engine/test_idempotency.py",
         "tests/engine/test_faults_and_limits.py", "tests/control/test_world_ops.py",
         "tests/control/test_documented_statuses.py", "tests/control/test_journal_ops.py"],
        100,
    ),
}


@pytest.mark.long
@pytest.mark.parametrize("half", sorted(HALVES))
def test_the_http_suites_pass_against_two_instances_behind_a_forwarder(
    postgres: pg_cluster.Postgres, half: str
) -> None:
    paths, at_least = HALVES[half]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "BATCHCALLS_CLUSTER"))}
    env[SERVER_ENV] = f"127.0.0.1:{postgres.port}"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "--cluster",
         "-o", "addopts=--strict-markers --strict-config --import-mode=importlib", *paths],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    tail = "\n".join(done.stdout.splitlines()[-40:])
    assert done.returncode == 0, tail
    passed = re.search(r"(\d+) passed", tail)
    assert passed and int(passed.group(1)) >= at_least, tail
