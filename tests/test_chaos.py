"""The chaos self-check at a small budget: hostile requests over three workspaces and both APIs,
with a state file and kill -9 restarts, zero violations (the full budget is in the README)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from starlette.testclient import TestClient
from support import START

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "chaos_self_check.py"


def test_a_small_chaos_run_finds_no_violation() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--requests", "1000", "--seed", "5", "--state-file",
         "--restarts", "2", "--time-limit", "120"],
        capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert " 0 violations" in done.stdout, done.stdout


# -- the hostile tenants, in process (no server to start: a run of a few hundred requests is fast) --

sys.path.insert(0, str(SCRIPT.parent))
import chaos_self_check  # noqa: E402 - a script of the repository, found on the line above

from mock_server.app import create_app  # noqa: E402
from mock_server.settings import Settings  # noqa: E402


@contextmanager
def hosted(seed: int, requests: int = 0,
           defects: frozenset[str] = frozenset()) -> Iterator[chaos_self_check.Chaos]:
    """The chaos self-check set up for a `--hosted` run, against the app in this process."""
    opts = chaos_self_check.options(["--hosted", "--requests", str(requests), "--seed", str(seed)])
    default = opts.default
    app = create_app(Settings(
        clock="manual", start_at=START, seed=seed, quiet=True, defects=defects,
        admin_token=opts.admin["X-Mock-Admin-Token"], sandbox_key=default["api_key"],
        zudu_key=default["zudu"]["api_key"], zudu_secret=default["zudu"]["api_secret"],
    ))
    with TestClient(app, base_url="http://127.0.0.1") as http:
        chaos = chaos_self_check.Chaos(opts, http)
        chaos.setup(default)
        yield chaos


def test_hostile_tenants_and_cross_site_pages_reach_nothing_in_a_hosted_sandbox() -> None:
    with hosted(seed=3, requests=250) as chaos:
        chaos.run(time.monotonic() + 60)
    assert chaos.sent >= 250 and chaos.violations == []


def test_the_hostile_tenants_find_another_workspaces_batch_when_it_is_visible() -> None:
    """The check can fail: with the deliberate defect that answers another workspace's batch."""
    with hosted(seed=3, defects=frozenset({"foreign_ids_visible"})) as chaos:
        for ws in chaos.workspaces:
            for _ in range(5):
                chaos.truedy(ws)
        for _ in range(10):
            chaos.hostile_tenant.foreign_batch(chaos.workspaces[0])
    assert any("another workspace's batch: GET" in found for found in chaos.violations), chaos.violations


def test_an_answer_holding_another_workspaces_credentials_is_found() -> None:
    from chaos_tenants import Secrets

    mine = {"api_key": "sk_test_mine_0123", "zudu": {"api_key": "zk_mine_0123", "api_secret": "zs_mine_0123"}}
    theirs = {"api_key": "sk_test_theirs_0123", "webhook_secret": "whsec_theirs_0123", "default": True}
    found = Secrets([mine, theirs])
    assert found.foreign_in({"Authorization": "Bearer sk_test_mine_0123"}, "… zs_mine_0123 …") == []
    leaked = found.foreign_in({"X-API-KEY": "zk_mine_0123"}, '{"secret": "whsec_theirs_0123"}')
    assert leaked == ["whsec_theirs…"]
    assert found.foreign_in({}, "sk_test_mine_0123") == ["sk_test_mine…"]  # no key: the default world's
