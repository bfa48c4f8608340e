"""A readiness session grades from its world's request journal (issue 20, defect 4): it keeps no
copy of what was answered, so its memory is the journal's, bounded by the journal's bounds, and what
the journal no longer holds (dropped, cleared, or never kept) is said, never silently graded."""

from __future__ import annotations

import gc
import tracemalloc
from typing import Any

from support import API, AUTH, CheckedClient, make_client

CAMPAIGN = {"name": "Ready", "agent_id": "agt_sandbox_ready", "contacts": [{"phone_number": "+15550100001"}]}


def arm(client: CheckedClient) -> None:
    started = client.post("/_mock/readiness/start", headers=AUTH)
    assert started.status_code == 201, started.text


def report(client: CheckedClient) -> dict[str, Any]:
    answer = client.get("/_mock/readiness", headers=AUTH)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def statuses(body: dict[str, Any]) -> dict[str, str]:
    return {check["id"]: check["status"] for check in body["checks"]}


def careful_run(client: CheckedClient) -> None:
    """What a careful client does: a keyed create retried after the 503's Retry-After, then a 429
    waited out (the sandbox's clock is manual; the waits are read from the journal's times, so the
    test moves the journal's wall clock instead of sleeping)."""
    keyed = {**AUTH, "X-Idempotency-Key": "k-1"}
    assert client.post(f"{API}/batch-calls", json=CAMPAIGN, headers=keyed).status_code == 503
    assert client.post(f"{API}/batch-calls", json=CAMPAIGN, headers=keyed).status_code == 201


def test_a_session_keeps_no_copy_of_the_requests_it_grades() -> None:
    """Ten 1 MB requests added 246 MB to an armed world (parsed bodies and headers kept per
    session); now they cost what the journal keeps of them (each body cut at 64 KiB)."""
    contacts = [{"phone_number": f"+1555{i:07d}"} for i in range(30_000)]
    body = {"name": "Big", "agent_id": "agt_nobody", "contacts": contacts}  # 404: nothing is created
    with make_client() as client:
        arm(client)
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            for _ in range(10):
                answer = client.post(f"{API}/batch-calls", json=body, headers=AUTH)
                assert answer.status_code in (404, 422, 503), answer.text  # the first meets the 503
            gc.collect()
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert len(report(client)["checks"]) == 10
    assert grown < 8 * 1024 * 1024, f"{grown / 1e6:.1f} MB kept for ten requests"


def test_only_requests_answered_after_arming_are_graded() -> None:
    with make_client() as client:
        assert client.post(f"{API}/batch-calls", json=CAMPAIGN, headers=AUTH).status_code == 201  # no key
        arm(client)
        careful_run(client)
        found = report(client)
    assert statuses(found)["idempotency_key_on_create"] == "passed"
    assert "dropped_requests" not in found  # said only when some were


def test_requests_the_journal_dropped_are_counted_and_the_verdict_is_at_best_incomplete() -> None:
    with make_client(journal_size=3) as client:
        arm(client)
        careful_run(client)
        for _ in range(4):
            client.get(f"{API}/agents", headers=AUTH)  # the first meets the 429
        found = report(client)
    assert found["dropped_requests"] == 4  # the arming, the 503, the create and the 429 are gone
    assert found["verdict"] == "incomplete"
    assert statuses(found)["idempotency_key_on_create"] == "not_observed"


def test_clearing_the_journal_clears_what_the_session_saw() -> None:
    with make_client() as client:
        arm(client)
        careful_run(client)
        assert client.delete("/_mock/requests", headers=AUTH).status_code == 204
        found = report(client)
    assert found["dropped_requests"] == 3  # the 503, the create, and the arming itself
    assert statuses(found)["idempotency_key_on_create"] == "not_observed"
    assert found["verdict"] == "incomplete"


def test_without_a_journal_there_is_no_session_to_arm() -> None:
    with make_client(journal_size=0) as client:
        refused = client.post("/_mock/readiness/start", headers=AUTH)
        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "journal_disabled"
        assert "--journal-size" in refused.json()["error"]["message"]
        assert client.get("/_mock/readiness", headers=AUTH).status_code == 404


def test_the_429_challenge_still_follows_the_first_successful_create() -> None:
    """The challenges learn of the create from the journal, not from a hook of their own."""
    with make_client() as client:
        arm(client)
        assert client.get(f"{API}/agents", headers=AUTH).status_code == 200  # no create yet: no 429
        careful_run(client)
        throttled = client.get(f"{API}/agents", headers=AUTH)
        assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "2")
        assert client.get(f"{API}/agents", headers=AUTH).status_code == 200
        graded = report(client)
    assert statuses(graded)["retry_reuses_idempotency_key"] == "passed"  # the body read at the 503
