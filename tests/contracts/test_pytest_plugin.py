"""The pytest entry: a user's own test session runs the suites through the plugin's fixtures."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example() -> str:
    """The complete example test of the README's pytest section, as printed."""
    text = README.read_text(encoding="utf-8").split("### From pytest", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 1, "one complete example test in the README's pytest section"
    return blocks[0]


USER_TEST = readme_example()
FAILING_TEST = """
from contracts.pytest_plugin import assert_conformant


def test_a_broken_server(contract_run, contract_sandbox):
    url = contract_sandbox(defects=frozenset({"pause_from_draft"}))
    assert_conformant(contract_run(base_url=url, suites=("rules",)))
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


def test_a_failed_run_lists_its_findings_with_curl_commands(tmp_path: Path) -> None:
    (tmp_path / "test_partner.py").write_text(FAILING_TEST, encoding="utf-8")
    done = pytest_in(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED  rules/invalid_state.pause_from_draft" in done.stdout
    assert "reproduce: curl -i -X POST" in done.stdout and "/pause" in done.stdout
    assert "NOT CONFORMANT" in done.stdout
    assert "def run_with" not in done.stdout and "Traceback" not in done.stdout


def test_an_unreachable_target_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "test_partner.py").write_text(USER_TEST, encoding="utf-8")
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    url = f"http://127.0.0.1:{port}/api/public/v1"
    done = pytest_in(tmp_path, "--contract-base-url", url, "--contract-api-key", "sk_x", "-k", "rules")
    assert done.returncode == 1
    assert f"batchcalls-contract: cannot connect to 127.0.0.1:{port}" in done.stdout
    assert "def run_with" not in done.stdout and "def contract_" not in done.stdout


def test_the_options_are_registered(tmp_path: Path) -> None:
    done = pytest_in(tmp_path, "--help")
    assert "--contract-base-url" in done.stdout and "--contract-api-key" in done.stdout


def test_a_foreign_target_needs_a_key(tmp_path: Path) -> None:
    (tmp_path / "test_partner.py").write_text(USER_TEST, encoding="utf-8")
    done = pytest_in(tmp_path, "--contract-base-url", "http://127.0.0.1:9/api/public/v1", "-k", "rules")
    assert done.returncode != 0
    output = (done.stdout + done.stderr).strip()
    expected = "ERROR: --contract-base-url needs --contract-api-key (or $BATCHCALLS_API_KEY)"
    assert output.splitlines() == [expected]
