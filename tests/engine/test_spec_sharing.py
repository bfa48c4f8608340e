"""Apps built in one process share each compiled document (`engine/spec.load_spec`): an app with
every deliberate defect changes nothing for the apps built after it."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient
from support import API, AUTH, CAMPAIGN, START

from mock_server.app import create_app
from mock_server.settings import Settings
from mock_server.testing.defects import DEFECTS


def answers(settings: Settings) -> list[Any]:
    """What a fresh app answers to a few requests its defects would change (request ids aside)."""
    with TestClient(create_app(settings)) as client:
        sent = [
            client.post(f"{API}/batch-calls", json={**CAMPAIGN, "max_concurrent_calls": 500}, headers=AUTH),
            client.post(f"{API}/batch-calls", json=CAMPAIGN, headers=AUTH),
            client.get(f"{API}/batch-calls/batch_unknown", headers=AUTH),
            client.get(f"{API}/batch-calls", params={"limit": 1}, headers=AUTH),
            client.get(f"{API}/agents", headers=AUTH),
            client.get(f"{API}/batch-calls"),
            client.get("/openapi.json"),
        ]
        return [(r.status_code, r.content.replace(r.headers.get("x-request-id", "").encode(), b""))
                for r in sent]


def test_an_app_with_every_defect_leaves_the_next_clean_app_as_the_first() -> None:
    clean = Settings(clock="manual", start_at=START, seed=7)
    first = answers(clean)
    broken = answers(Settings(clock="manual", start_at=START, seed=7, defects=frozenset(DEFECTS)))
    assert broken != first  # the defects did change what was answered
    assert answers(clean) == first
