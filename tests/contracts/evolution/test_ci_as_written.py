"""examples/github-actions-diff.yml, run as written: a pull request that changes openapi.json, the
base commit's version against the branch's, in a git repository made for the test. A breaking change
fails the step with an error annotation on the changed line; a compatible one passes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
WORKFLOW = ROOT / "examples" / "github-actions-diff.yml"
NOT_RUN = {  # steps the test does not run, and what stands for them here
    "actions/checkout": "the test's repository, with its base commit",
    "actions/setup-python": "the test's own Python",
    "actions/upload-artifact": "the test reads the report from the repository",
}
INSTALL = re.compile(r"^\s*pip install\b")  # the package is installed in the test's environment


def git(repository: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=repository,
        capture_output=True,
        text=True,
        check=True,
        env={
            **os.environ,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@x",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@x",
            "GIT_CONFIG_GLOBAL": "/dev/null",
        },
    )
    return done.stdout.strip()


def pull_request(tmp_path: Path, change: Any) -> tuple[Path, str]:
    """A repository whose base commit has openapi.json and whose head changes it; the base's sha."""
    repository = tmp_path / "repo"
    repository.mkdir()
    git(repository, "init", "-q", "-b", "main")
    spec = json.loads((ROOT / "openapi.json").read_text())
    (repository / "openapi.json").write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")
    git(repository, "add", "openapi.json")
    git(repository, "commit", "-q", "-m", "base")
    base = git(repository, "rev-parse", "HEAD")
    git(repository, "checkout", "-q", "-b", "pr")
    change(spec)
    (repository / "openapi.json").write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")
    git(repository, "commit", "-q", "--allow-empty", "-am", "change the API")
    return repository, base


def steps() -> list[dict[str, Any]]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert workflow[True] == {"pull_request": {"paths": ["openapi.json"]}}  # YAML 1.1 reads `on:` as true
    assert list(workflow["jobs"]) == ["api-diff"]
    assert workflow["jobs"]["api-diff"]["env"] == {"BASE_SHA": "${{ github.event.pull_request.base.sha }}"}
    found: list[dict[str, Any]] = workflow["jobs"]["api-diff"]["steps"]
    return found


def run_workflow(repository: Path, base: str, tmp_path: Path) -> list[subprocess.CompletedProcess[str]]:
    """Each `run` step as GitHub runs it (bash -eo pipefail), with the variables the runner sets."""
    env = {
        **os.environ,
        "BASE_SHA": base,
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
    }
    ran = []
    for step in steps():
        if "uses" in step:
            assert step["uses"].split("@")[0] in NOT_RUN, f"map the step {step['uses']} in NOT_RUN"
            continue
        if INSTALL.match(step["run"]):
            continue
        ran.append(
            subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                cwd=repository,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
        )
    assert len(ran) == 1
    return ran


def require_timezone(spec: dict[str, Any]) -> None:
    spec["components"]["schemas"]["BatchCallCreateRequest"]["required"].append("timezone")


def add_optional_notes(spec: dict[str, Any]) -> None:
    spec["components"]["schemas"]["BatchCallCreateRequest"]["properties"]["notes"] = {"type": "string"}


def test_a_breaking_pull_request_fails_with_an_annotation_on_the_changed_line(tmp_path: Path) -> None:
    repository, base = pull_request(tmp_path, require_timezone)
    [done] = run_workflow(repository, base, tmp_path)
    assert done.returncode == 1, done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith("::error file=openapi.json,line=")
    line = int(first.split("line=", 1)[1].split(",", 1)[0])
    changed = git(repository, "diff", "-U0", base, "--", "openapi.json")
    hunk = re.search(r"^@@ -\d+(?:,\d+)? \+(\d+)", changed, flags=re.M)
    assert hunk is not None
    text = (repository / "openapi.json").read_text().splitlines()
    assert text[line - 1].strip() == '"required": [' and 0 < int(hunk.group(1)) - line < 5  # the list it grew
    assert "title=request-property-became-required (breaking)::POST /batch-calls" in first
    assert "**Verdict: breaking**" in (tmp_path / "summary.md").read_text()
    assert (repository / "reports" / "api-diff.xml").exists()


@pytest.mark.parametrize("change", [add_optional_notes, lambda spec: None], ids=["compatible", "unchanged"])
def test_a_compatible_pull_request_passes(tmp_path: Path, change: Any) -> None:
    repository, base = pull_request(tmp_path, change)
    [done] = run_workflow(repository, base, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not any(line.startswith("::error") for line in done.stdout.splitlines())
    assert "**Verdict: compatible**" in (tmp_path / "summary.md").read_text()
