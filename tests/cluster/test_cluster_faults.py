"""The faults of a cluster: an instance killed with SIGKILL mid-campaign, PostgreSQL restarting
under load, and an instance started on a database that other settings wrote."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pg_cluster
import pytest
from instances import Instance, Pair, launch, pair_on
from support import API, AUTH, ZUDU_AUTH
from test_webhooks import Receiver

# Real clock, an hour of calls in about a second: 09:00 New York is 14:00 UTC
REAL = ("--clock", "real", "--speed", "3600", "--start-at", "2026-03-02T13:59:00Z", "--seed", "5",
        "--retry-delay", "600")
CAMPAIGN = {
    "agent_id": "agt_sandbox_ready",
    "timezone": "America/New_York",
    "max_concurrent_calls": 3,
    "retry_failed": True,
    "max_retry_attempts": 1,
    "contacts": [{"phone_number": f"+1555010{n:04d}"} for n in range(1, 9)],
}
FINISHED = {"completed", "failed", "cancelled"}


@pytest.mark.real_clock
def test_a_killed_instance_loses_no_acknowledged_write_and_places_no_call_twice(
    pair: Callable[..., Pair],
) -> None:
    receiver = Receiver()
    try:
        p = pair(*REAL, "--webhook-url", receiver.url)
        created: list[str] = []
        with httpx.Client(base_url=p.url, timeout=30) as http:  # the forwarder: round-robin
            for n in range(6):
                answer = http.post(f"{API}/batch-calls", json={**CAMPAIGN, "name": f"before {n}"},
                                   headers={**AUTH, "X-Idempotency-Key": f"before-{n}"})
                assert answer.status_code == 201, answer.text
                batch_id = answer.json()["data"]["id"]
                assert http.post(f"{API}/batch-calls/{batch_id}/schedule", headers=AUTH).status_code == 200
                created.append(batch_id)
            time.sleep(0.5)  # calls under way on both instances
            p.a.kill()
            # the forwarder now reaches B alone; every write it acknowledges must last
            for n in range(4):
                answer = http.post(f"{API}/batch-calls", json={**CAMPAIGN, "name": f"after {n}"},
                                   headers=AUTH)
                assert answer.status_code == 201, answer.text
                batch_id = answer.json()["data"]["id"]
                assert http.post(f"{API}/batch-calls/{batch_id}/schedule", headers=AUTH).status_code == 200
                created.append(batch_id)
            batches = wait_until_finished(http, created)
            events = http.get("/_mock/events", params={"limit": 1000}).json()["data"]
        time.sleep(0.5)  # a second delivery of the same attempt would arrive by now
    finally:
        receiver.close()
    assert [b["id"] for b in batches] == created  # no acknowledged create lost
    assert all(b["status"] == "completed" for b in batches), [b["status"] for b in batches]
    started = Counter((e["data"]["contact_id"], e["data"]["batch_id"], e["data"]["attempt"])
                      for e in events if e["event"] == "call.started")
    assert started and max(started.values()) == 1, "a call placed twice"
    assert len(started) >= len(created) * len(CAMPAIGN["contacts"])  # type: ignore[arg-type]
    received = Counter(r["body"]["id"] for r in receiver.received)
    assert received and max(received.values()) == 1, "a webhook attempt delivered twice"
    assert len({e["id"] for e in events}) == len(events)  # each event recorded once


def wait_until_finished(http: httpx.Client, ids: list[str], timeout: float = 40) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        batches = [http.get(f"{API}/batch-calls/{i}", headers=AUTH).json()["data"] for i in ids]
        if all(b["status"] in FINISHED for b in batches) or time.monotonic() > deadline:
            return batches
        time.sleep(0.2)


def test_while_postgresql_restarts_requests_get_503_in_the_envelope_then_succeed(
    own_postgres: pg_cluster.Postgres,
) -> None:
    flags = ("--clock", "manual", "--seed", "7", "--start-at", "2026-03-02T08:00:00Z")
    with pair_on(own_postgres.new_database(), *flags) as p, httpx.Client(timeout=30) as http:
        first = http.post(f"{p.a.base}{API}/batch-calls", json={**CAMPAIGN, "name": "before"}, headers=AUTH)
        assert first.status_code == 201, first.text
        own_postgres.stop()
        down = [  # (each waits the store's 3 s connection timeout: few of them)
            http.get(f"{p.a.base}{API}/batch-calls", headers=AUTH),
            http.get(f"{p.b.base}/batch-call/{first.json()['data']['id']}", headers=ZUDU_AUTH),
        ]
        for answer in down:
            assert answer.status_code == 503, answer.text
            assert answer.headers.get("retry-after") == "1"
            assert "Traceback" not in answer.text
        assert down[0].json()["error"]["code"] == "service_unavailable"
        assert down[1].json()["status"] == "error"  # Zudu's envelope
        own_postgres.start()
        for base in (p.a.base, p.b.base):
            listed = until_served(http, f"{base}{API}/batch-calls")
            assert [b["name"] for b in listed.json()["data"]] == ["before"]
        again = http.post(f"{p.b.base}{API}/batch-calls", json={**CAMPAIGN, "name": "after"}, headers=AUTH)
        assert again.status_code == 201, again.text
        assert http.get(f"{p.a.base}{API}/batch-calls", headers=AUTH).json()["pagination"]["total"] == 2
    for instance in (p.a, p.b):
        assert "Traceback" not in "".join(instance.output)


def test_a_write_while_postgresql_is_down_gets_503_and_leaves_nothing(
    own_postgres: pg_cluster.Postgres, serve: Callable[..., Instance]
) -> None:
    instance = serve("--store", own_postgres.new_database(), "--clock", "manual")
    with httpx.Client(base_url=instance.base, timeout=15) as http:
        clock = http.get("/_mock/clock").json()["now"]
        own_postgres.stop()
        try:
            answers = [
                http.post(f"{API}/batch-calls", json={**CAMPAIGN, "name": "lost"}, headers=AUTH),
                http.post("/_mock/clock/advance", json={"seconds": 60}),
            ]
        finally:
            own_postgres.start()
        for answer in answers:
            assert answer.status_code == 503 and answer.headers.get("retry-after") == "1", answer.text
            assert answer.json()["error"]["code"] == "service_unavailable"
        assert until_served(http, f"{API}/batch-calls").json()["data"] == []  # the refused write left nothing
        assert http.get("/_mock/clock").json()["now"] == clock


def until_served(http: httpx.Client, url: str, timeout: float = 20) -> httpx.Response:
    """GET `url` as a client honouring Retry-After would, until it is answered 200: every refusal
    meanwhile is a 503 in the envelope (the pool reconnects once PostgreSQL is back)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = http.get(url, headers=AUTH)
        if answer.status_code == 200 or time.monotonic() > deadline:
            assert answer.status_code == 200, answer.text
            return answer
        assert answer.status_code == 503 and answer.json()["error"]["code"], answer.text
        time.sleep(float(answer.headers.get("retry-after", "1")))


@pytest.mark.parametrize(
    ("other", "named"),
    [(("--seed", "8"), "seed"), (("--api-key", "sk_test_other"), "key")],
)
def test_an_instance_on_a_database_written_with_other_settings_exits_2_with_one_sentence(
    database: str, serve: Callable[..., Instance], other: tuple[str, ...], named: str
) -> None:
    flags = {"--clock": "manual", "--seed": "7", "--api-key": "sk_test_sandbox"}
    first = serve("--store", database, *(x for kv in flags.items() for x in kv))
    assert httpx.post(f"{first.base}{API}/batch-calls", json={**CAMPAIGN, "name": "x"},
                      headers=AUTH).status_code == 201
    flags[other[0]] = other[1]
    late = launch("--store", database, *(x for kv in flags.items() for x in kv))
    out, err = late.communicate(timeout=30)
    assert late.returncode == 2, (out, err)
    assert out == "" and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and named in lines[0].lower(), err
