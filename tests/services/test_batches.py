"""A command on a batch call is judged on the batch as it is at the request's instant.

On a manual clock, `schedule` plans the first call at `now` without dialling it; the next command's
dispatcher catches up to `now` first, and a call that fails at once (the magic busy number: 0 to 5
seconds, 0 under seed 3) completes the batch there. The lifecycle check made before that catch-up
saw `scheduled`: the command then met a completed batch (an AssertionError or a KeyError in the
dispatcher, answered 500). What it must answer is what the batch's real status calls for: a
command is refused as in that status, and keeps nothing; a delete removes the completed batch.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from response_checker import ResponseChecker
from support import API, AUTH, START, CheckedClient

from mock_server.app import create_app
from mock_server.core.outcomes import MAGIC_BUSY
from mock_server.settings import Settings


@pytest.fixture
def busy_client() -> Iterator[CheckedClient]:
    app = create_app(Settings(clock="manual", start_at=START, seed=3, live_edits=True))
    client = CheckedClient(app, raise_server_exceptions=False)
    client.checkers = [ResponseChecker(spec) for spec in app.state.specs.values()]
    with client:
        yield client


def scheduled_to_end_now(client: CheckedClient) -> str:
    """A batch call whose one call is due now and ends at once (the batch completes at `now`)."""
    body = {"name": "Ends now", "agent_id": "agt_sandbox_ready", "contacts": [{"phone_number": MAGIC_BUSY}]}
    batch_id: str = client.post(f"{API}/batch-calls", json=body, headers=AUTH).json()["data"]["id"]
    scheduled = client.post(f"{API}/batch-calls/{batch_id}/schedule", headers=AUTH)
    assert scheduled.json()["data"]["status"] == "scheduled"
    return batch_id


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("POST", "/pause", None, 422),  # pause: scheduled|active only
        ("PATCH", "", {"max_concurrent_calls": 2}, 422),  # live edits: draft|scheduled|paused only
        ("DELETE", "", None, 204),  # a completed batch is removed
    ],
    ids=["pause", "live-edit", "delete"],
)
def test_a_command_that_finds_the_batch_completed_at_its_instant_answers_for_that_status(
    busy_client: CheckedClient, method: str, path: str, body: dict[str, int] | None, expected: int
) -> None:
    batch_id = scheduled_to_end_now(busy_client)
    answer = busy_client.request(method, f"{API}/batch-calls/{batch_id}{path}", json=body, headers=AUTH)
    assert answer.status_code == expected, answer.text
    read = busy_client.get(f"{API}/batch-calls/{batch_id}", headers=AUTH)
    if expected == 204:
        assert read.status_code == 404
    else:  # refused as the batch now is, and nothing of the command kept
        assert answer.json()["error"]["details"]["status"] == "completed"
        assert read.json()["data"]["status"] == "completed"
        assert read.json()["data"]["max_concurrent_calls"] != 2


def test_a_provider_error_on_a_batch_that_completes_at_its_instant_is_refused(
    busy_client: CheckedClient,
) -> None:
    batch_id = scheduled_to_end_now(busy_client)
    answer = busy_client.post("/_mock/faults/provider-error", json={"batch_call_id": batch_id})
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"]["code"] == "invalid_state"
