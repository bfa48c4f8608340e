"""The pytest entry: a user's own test session runs the suites through the plugin's fixtures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

USER_TEST = """
from contracts.pytest_plugin import contract_summary


def test_rules(contract_run):
    result = contract_run(suites=("rules",))
    assert result.conformant, contract_summary(result)


def test_schema_of_one_operation(contract_run):
    result = contract_run(suites=("schema",), include_operations=("list_agents",), max_examples=3)
    assert result.conformant, contract_summary(result)
    assert any(r.id == "schema/list_agents/truedy_error_envelope" for r in result.requirements)
"""


def pytest_in(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATCHCALLS_")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )


def test_a_users_session_runs_the_suites_against_an_in_process_sandbox(tmp_path: Path) -> None:
    (tmp_path / "test_partner.py").write_text(USER_TEST, encoding="utf-8")
    done = pytest_in(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


def test_the_options_are_registered(tmp_path: Path) -> None:
    done = pytest_in(tmp_path, "--help")
    assert "--contract-base-url" in done.stdout and "--contract-api-key" in done.stdout


def test_a_foreign_target_needs_a_key(tmp_path: Path) -> None:
    (tmp_path / "test_partner.py").write_text(USER_TEST, encoding="utf-8")
    done = pytest_in(tmp_path, "--contract-base-url", "http://127.0.0.1:9/api/public/v1", "-k", "rules")
    assert done.returncode != 0
    assert "--contract-base-url needs --contract-api-key" in done.stdout + done.stderr
