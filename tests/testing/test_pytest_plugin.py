"""The `batchcalls_sandbox` fixture as a client developer meets it: installed with the package (a
`pytest11` entry point), one sandbox per test or one per session reset between tests, settings
overridable by a fixture; and the example client's tests, run as their README says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "client_tests"

TWO_TESTS = """
import httpx
from datetime import UTC, datetime

SEEN = []

def check(sandbox):
    SEEN.append(sandbox.origin)
    assert sandbox.journal.count() == 0
    assert sandbox.now() == datetime({start}, tzinfo=UTC)
    auth = {{"Authorization": f"Bearer {{sandbox.api_key}}"}}
    assert httpx.get(sandbox.base_url + "/batch-calls", headers=auth).json()["pagination"]["total"] == 0
    body = {{"name": "x", "agent_id": "agt_sandbox_ready", "contact_source": "folder",
            "contact_folder_id": "folder_sandbox_demo"}}
    httpx.post(sandbox.base_url + "/batch-calls", headers=auth, json=body)
    sandbox.fault(path="/api/public/v1/agents", status=500)
    sandbox.advance(days=2)

def test_one(batchcalls_sandbox):
    check(batchcalls_sandbox)

def test_two(batchcalls_sandbox):
    check(batchcalls_sandbox)
    assert (SEEN[0] == SEEN[1]) is {shared}
"""


def run_pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )


def write(
    folder: Path, ini: str = "", conftest: str = "", start: str = "2026, 3, 2, 8", shared: bool = False
) -> None:
    (folder / "pytest.ini").write_text(f"[pytest]\nfilterwarnings = error\n{ini}\n")
    (folder / "test_client.py").write_text(TWO_TESTS.format(start=start, shared=shared))
    if conftest:
        (folder / "conftest.py").write_text(conftest)


def test_one_sandbox_per_session_reset_before_each_test(tmp_path: Path) -> None:
    write(tmp_path, ini="batchcalls_sandbox_scope = session", shared=True)
    ended = run_pytest(tmp_path)
    assert ended.returncode == 0 and "2 passed" in ended.stdout, ended.stdout + ended.stderr


def test_the_command_line_option_beats_the_ini_setting(tmp_path: Path) -> None:
    write(tmp_path, ini="batchcalls_sandbox_scope = function", shared=True)
    ended = run_pytest(tmp_path, "--batchcalls-sandbox-scope", "session")
    assert ended.returncode == 0 and "2 passed" in ended.stdout, ended.stdout + ended.stderr


def test_one_sandbox_per_test_by_default_with_the_settings_a_conftest_gives(tmp_path: Path) -> None:
    conftest = (
        "import pytest\nfrom datetime import UTC, datetime\n\n@pytest.fixture(scope='session')\n"
        "def batchcalls_sandbox_settings():\n"
        "    return {'start_at': datetime(2027, 1, 4, 9, tzinfo=UTC), 'seed': 5}\n"
    )
    write(tmp_path, conftest=conftest, start="2027, 1, 4, 9")
    ended = run_pytest(tmp_path)
    assert ended.returncode == 0 and "2 passed" in ended.stdout, ended.stdout + ended.stderr


def test_an_unknown_scope_is_a_usage_error(tmp_path: Path) -> None:
    write(tmp_path, ini="batchcalls_sandbox_scope = module")
    ended = run_pytest(tmp_path)
    assert (
        ended.returncode != 0
        and "batchcalls_sandbox_scope is 'module': use function or session" in ended.stdout + ended.stderr
    )


def test_the_example_client_tests_pass() -> None:
    ended = run_pytest(EXAMPLES, "--durations=0", "--durations-min=0")
    assert ended.returncode == 0 and "5 passed" in ended.stdout, ended.stdout + ended.stderr


def test_the_readmes_fixture_example_is_one_of_them() -> None:
    readme = (EXAMPLES.parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Testing your client with pytest", 1)[1]
    example = section.split("```python\n", 1)[1].split("```", 1)[0]
    assert example in (EXAMPLES / "test_campaigns.py").read_text(encoding="utf-8")
