"""`batchcalls-mock impact --url URL --spec NEW`: every workspace's journal replayed against NEW, as
an admin runs it against a running sandbox (in process, on a free loopback port)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support import API, START

from contracts.inprocess import serve
from mock_server import impact_command
from mock_server.app import create_app
from mock_server.cli import main
from mock_server.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
ADMIN = {"X-Mock-Admin-Token": "t0ken"}
CREATE = {
    "agent_id": "agt_sandbox_ready",
    "contact_source": "manual",
    "contacts": [{"phone_number": "+15551230001"}],
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[tuple[str, list[str]]]:
    """A sandbox with an admin token and two workspaces: the first created two batches without a
    timezone and one with, the second one with a timezone only."""
    app = create_app(Settings(clock="manual", start_at=START, seed=7, quiet=True, admin_token="t0ken"))
    with serve(app) as origin, httpx.Client(base_url=origin, timeout=10) as client:
        ids = []
        for zones in ((None, None, "UTC"), ("UTC",)):
            made = client.post("/_mock/workspaces", headers=ADMIN).json()
            key = {"Authorization": f"Bearer {made['api_key']}"}
            for index, zone in enumerate(zones):
                body = {**CREATE, "name": f"c{index}", **({"timezone": zone} if zone else {})}
                assert client.post(f"{API}/batch-calls", json=body, headers=key).status_code == 201
            ids.append(made["workspace_id"])
        yield origin, ids


def impact(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    code = main(["impact", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_each_workspace_journal_is_replayed_against_new(
    sandbox: tuple[str, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    origin, (first, second) = sandbox
    document = json.loads((ROOT / "openapi.json").read_text())
    document["components"]["schemas"]["BatchCallCreateRequest"]["required"].append("timezone")
    new = tmp_path / "new.json"
    new.write_text(json.dumps(document), encoding="utf-8")
    monkeypatch.setattr(impact_command, "PAGE", 2)  # several pages of a journal, oldest first
    code, out, err = impact(capsys, "--url", origin, "--spec", str(new), "--admin-token", "t0ken",
                            "--format", "json")
    assert (code, err) == (1, "")
    traffic = {t["source"]: t for t in json.loads(out)["traffic"]}
    assert traffic[first]["headline"] == (
        f"{first}: 2 of 3 requests would be refused by NEW (first: POST /batch-calls, `timezone` now "
        "required), 0 responses out of contract"
    )
    assert traffic[first]["first_refused"]["entry"] == 0
    assert (traffic[second]["requests"], traffic[second]["refused"]) == (1, 0)

    code, out, err = impact(capsys, "--url", origin, "--spec", str(new), "--admin-token", "t0ken")
    assert code == 1 and f"{first}: 2 of 3 requests would be refused by NEW" in out


def test_without_the_admin_token_or_the_sandbox_it_says_why_in_one_sentence(
    sandbox: tuple[str, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    origin, _ = sandbox
    spec = str(ROOT / "openapi.json")
    code, out, err = impact(capsys, "--url", origin, "--spec", spec)
    assert (code, out) == (2, "")
    assert err == f"the sandbox at {origin} refused the admin token (give it with --admin-token)\n"
    code, out, err = impact(capsys, "--url", origin, "--spec", "/nowhere.json", "--admin-token", "t0ken")
    assert code == 2 and err.count("\n") == 1 and "/nowhere.json" in err
