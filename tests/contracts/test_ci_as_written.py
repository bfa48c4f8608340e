"""CI as written: the README's CI snippet and examples/github-actions.yml, run exactly as printed.

The sandbox in them listens on `${SANDBOX_PORT:-8080}`; the test sets SANDBOX_PORT to a free port
the OS chose, so that the commands run unchanged without a fixed port. The kit's `--wait` is what
makes `batchcalls-mock serve & batchcalls-contract run …` pass every time: the kit starts before
the sandbox listens.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
WORKFLOW = ROOT / "examples" / "github-actions.yml"
REPLAYS = 10

# steps of the workflow that the test does not run, and what stands for them here
NOT_RUN = {
    "actions/checkout": "the test runs in this checkout",
    "actions/setup-python": "the test's own Python",
    "actions/upload-artifact": "the test reads the reports from the step's directory",
}
INSTALL = re.compile(r"^\s*pip install\b")  # the package is installed in the test's environment


def free_port() -> int:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port: int = placeholder.getsockname()[1]
        return port


def run_shell(script: str, directory: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`script` as GitHub runs a step (bash -eo pipefail); whatever it left running is stopped after.

    Output goes to files: the backgrounded sandbox keeps its copy of the descriptors open."""
    bin_dir = str(Path(sys.executable).parent)
    out_path, err_path = directory / "step.out", directory / "step.err"
    with out_path.open("w") as out, err_path.open("w") as err:
        process = subprocess.Popen(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=directory,
            env={**os.environ, **env, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")},
            stdout=out,
            stderr=err,
            start_new_session=True,  # its own process group: the backgrounded sandbox is stopped with it
        )
        try:
            process.wait(timeout=120)
        finally:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            process.wait(timeout=10)
    return subprocess.CompletedProcess(
        process.args, process.returncode, out_path.read_text(), err_path.read_text()
    )


def readme_ci_snippet() -> str:
    """The bash block of the README's "Contract kit" section that starts the sandbox in CI."""
    section = README.read_text(encoding="utf-8").split("## Contract kit", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    found = [b for b in blocks if "batchcalls-mock serve" in b and "--wait" in b]
    assert len(found) == 1, "the README's Contract kit section has one CI snippet with --wait"
    return found[0]


def test_the_readme_ci_snippet_passes_every_time(tmp_path: Path) -> None:
    snippet = readme_ci_snippet()
    results = []
    for attempt in range(REPLAYS):
        directory = tmp_path / str(attempt)
        directory.mkdir()
        done = run_shell(snippet, directory, {"SANDBOX_PORT": str(free_port())})
        results.append(done.returncode)
        assert done.returncode == 0, f"attempt {attempt + 1}: {done.stdout[-3000:]}{done.stderr[-2000:]}"
        assert (directory / "reports" / "contract.xml").exists()
    assert results == [0] * REPLAYS


def steps() -> list[dict[str, Any]]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    jobs = workflow["jobs"]
    assert list(jobs) == ["contract"]
    found: list[dict[str, Any]] = jobs["contract"]["steps"]
    return found


def test_the_workflow_file_runs_locally(tmp_path: Path) -> None:
    job_env = {k: str(v) for k, v in yaml.safe_load(WORKFLOW.read_text())["jobs"]["contract"]["env"].items()}
    ran = []
    for step in steps():
        if "uses" in step:
            action = step["uses"].split("@")[0]
            assert action in NOT_RUN, f"map the step {step['uses']} in NOT_RUN"
            continue
        if INSTALL.match(step["run"]):
            continue
        done = run_shell(step["run"], tmp_path, {**job_env, "SANDBOX_PORT": str(free_port())})
        assert done.returncode == 0, f"{step.get('name')}: {done.stdout[-3000:]}{done.stderr[-2000:]}"
        ran.append(step.get("name"))
    assert ran == ["Check the sandbox against the contract"]
    reports = tmp_path / "reports"
    assert (reports / "contract.xml").exists() and (reports / "contract.md").exists()


def test_the_workflow_checks_what_the_readme_says() -> None:
    checked = [s["run"] for s in steps() if "run" in s and "batchcalls-contract" in s["run"]]
    assert checked == [readme_ci_snippet()]
