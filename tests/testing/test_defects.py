"""The app factory switches on the deliberate defects `Settings.defects` names, and loads the
test-only module only then."""

from __future__ import annotations

import subprocess
import sys

import pytest
from starlette.testclient import TestClient
from support import START, ZUDU_AUTH

from mock_server.app import create_app
from mock_server.settings import Settings

BEARER = {"Authorization": "Bearer sk_test_sandbox"}
CAMPAIGN = {"name": "Defects", "agent_id": "agt_sandbox_ready", "contact_source": "folder",
            "contact_folder_id": "folder_sandbox_demo"}
TASKS = {"from_number": "+14157774444", "tasks": [{"to_number": "+12137774445"}]}


def created(defects: frozenset[str]) -> tuple[int, int]:
    """The statuses of a Truedy create and a Zudu create."""
    app = create_app(Settings(clock="manual", start_at=START, quiet=True, defects=defects))
    with TestClient(app) as client:
        truedy = client.post("/api/public/v1/batch-calls", headers=BEARER, json=CAMPAIGN)
        zudu = client.post("/batch-call", headers=ZUDU_AUTH, json=TASKS)
    return truedy.status_code, zudu.status_code


def test_named_defects_are_switched_on_by_the_factory() -> None:
    assert created(frozenset()) == (201, 201)
    assert created(frozenset({"wrong_success_status"})) == (200, 201)
    assert created(frozenset({"zudu_create_200", "wrong_success_status"})) == (200, 200)


def test_an_unknown_defect_is_refused_in_one_sentence() -> None:
    with pytest.raises(ValueError, match=r"^unknown defects \['no_such'\]; known: "):
        create_app(Settings(defects=frozenset({"no_such"})))


def test_the_test_only_code_is_not_loaded_when_no_defect_is_named() -> None:
    script = ("import sys; from mock_server.app import create_app; create_app(); "
              "print('mock_server.testing.defects' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr
