"""What a new user meets first: `--version` on both commands, and scripts/serve's install step."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


COMMANDS = [("mock_server", "batchcalls-mock"), ("contracts", "batchcalls-contract")]


@pytest.mark.parametrize(("module", "prog"), COMMANDS)
def test_version_is_the_package_version(module: str, prog: str) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    command = [sys.executable, "-m", module, "--version"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [prog, project["version"]]


FAKE_PYTHON = """#!/usr/bin/env bash
# Stands in for .venv/bin/python: logs pip installs, hashes like the real one for the stamp.
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then echo install >> "$(dirname "$0")/../pip.log"; exit 0; fi
exec {python} "$@"
"""


def test_serve_reinstalls_only_when_pyproject_changes(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "serve", tmp_path / "scripts" / "serve")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").write_text(FAKE_PYTHON.format(python=sys.executable))
    (bin_dir / "batchcalls-mock").write_text('#!/usr/bin/env bash\necho "serve $*"\n')
    for tool in ("python", "batchcalls-mock"):
        (bin_dir / tool).chmod(0o755)

    def serve() -> str:
        done = subprocess.run(
            ["bash", str(tmp_path / "scripts" / "serve"), "--port", "0"],
            capture_output=True, text=True, timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def installs() -> int:
        log = tmp_path / ".venv" / "pip.log"
        return len(log.read_text().splitlines()) if log.exists() else 0

    assert serve() == "serve serve --port 0"
    assert installs() == 1
    assert serve() == "serve serve --port 0"
    assert installs() == 1  # nothing changed: no pip
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["y"]\n')
    serve()
    assert installs() == 2
