"""A campaign whose requests alternate between two `serve --store` instances equals the same campaign
sent to one in-memory `serve` process: same seed, same manual clock, same requests, so the same ids,
outcomes, events and webhook bodies (request ids aside: each instance draws its own, and Zudu's
`access_info.session_id` is made from the create's request id)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
from instances import Instance, Pair, without_request_ids
from support import API, AUTH, CAMPAIGN, ZUDU_AUTH
from test_webhooks import Receiver

FLAGS = ("--clock", "manual", "--seed", "11", "--start-at", "2026-03-02T08:00:00Z")
CONTACTS = [{"phone_number": f"+1555010{n:04d}"} for n in range(1, 13)]
ZUDU = {"from_number": "+14157774444", "name": "Zudu split",
        "tasks": [{"to_number": "+12137774445"}, {"to_number": "+12137774446"}]}


def requests(receiver_url: str) -> list[tuple[str, str, Any, dict[str, str]]]:
    """The campaign, as (method, path, JSON body, headers); `{a}`/`{b}` stand for the ids the first
    and second creates answered."""
    steps: list[tuple[str, str, Any, dict[str, str]]] = [
        ("PUT", "/_mock/webhooks", {"url": receiver_url, "secret": "whsec_split_run"}, {}),
        ("POST", f"{API}/batch-calls", CAMPAIGN, {**AUTH, "X-Idempotency-Key": "renewals"}),
        ("POST", f"{API}/batch-calls", {"name": "Inline", "agent_id": "agt_sandbox_ready",
                                        "contacts": CONTACTS}, AUTH),
        ("POST", f"{API}/batch-calls", CAMPAIGN, {**AUTH, "X-Idempotency-Key": "renewals"}),  # a replay
        ("POST", f"{API}/batch-calls/{{a}}/schedule", None, AUTH),
        ("POST", f"{API}/batch-calls/{{b}}/schedule", None, AUTH),
        ("POST", "/batch-call", ZUDU, ZUDU_AUTH),
    ]
    for hour in range(1, 30, 3):
        steps += [
            ("POST", "/_mock/clock/advance", {"seconds": 3 * 3600}, {}),
            ("GET", f"{API}/batch-calls/{{a}}", None, AUTH),
            ("GET", f"{API}/batch-calls/{{b}}/contacts?limit=100", None, AUTH),
        ]
        if hour == 7:
            steps.append(("POST", f"{API}/batch-calls/{{b}}/pause", None, AUTH))
        if hour == 13:
            steps.append(("POST", f"{API}/batch-calls/{{b}}/resume", None, AUTH))
    steps += [
        ("POST", "/_mock/clock/advance", {"seconds": 6 * 86400}, {}),
        ("GET", f"{API}/batch-calls/{{a}}/contacts?limit=100", None, AUTH),
        ("GET", f"{API}/batch-calls/{{a}}/analytics", None, AUTH),
        ("GET", f"{API}/batch-calls/{{b}}/analytics", None, AUTH),
        ("GET", f"{API}/batch-calls?limit=50", None, AUTH),
        ("GET", "/_mock/events?limit=500", None, {}),
        ("GET", "/_mock/clock", None, {}),
    ]
    return steps


def play(bases: list[str], receiver: Receiver) -> tuple[list[Any], list[Any]]:
    """Send the campaign, request i to bases[i % len(bases)]; answers what each request got, and the
    webhook bodies received once the deliveries have settled."""
    answers: list[Any] = []
    ids: dict[str, str] = {}
    with httpx.Client(timeout=30) as http:
        for i, (method, path, body, headers) in enumerate(requests(receiver.url)):
            answer = http.request(method, bases[i % len(bases)] + path.format(**ids), json=body,
                                  headers=headers)
            assert answer.status_code < 500, answer.text
            payload = answer.json() if answer.content else None
            answers.append((method, path, answer.status_code, without_request_ids(payload)))
            if method == "POST" and path == f"{API}/batch-calls" and answer.status_code == 201:
                ids.setdefault("a" if "a" not in ids else "b", payload["data"]["id"])
        deliveries = http.get(bases[0] + "/_mock/webhooks/deliveries", params={"limit": 500}).json()
    expected = len(deliveries["data"])
    deadline = time.monotonic() + 20
    while len(receiver.received) < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # a delivery made twice would arrive now
    bodies = sorted((r["body"] for r in receiver.received), key=lambda b: (b["id"], str(b)))
    return answers, bodies


def test_a_campaign_split_over_two_instances_equals_the_single_process_campaign(
    pair: Callable[..., Pair], serve: Callable[..., Instance]
) -> None:
    receiver = Receiver()
    try:
        single = serve(*FLAGS)
        alone, alone_hooks = play([single.base], receiver)
        single.stop()
        receiver.received.clear()
        p = pair(*FLAGS)
        split, split_hooks = play([p.a.base, p.b.base], receiver)
    finally:
        receiver.close()
    assert len(alone) == len(split)
    for one, two in zip(alone, split, strict=True):
        assert one == two, f"{one[0]} {one[1]}"
    events = alone[-2][3]["data"]
    assert len(events) > 20 and any(e["event"] == "batch.status.changed" for e in events)
    assert alone_hooks and split_hooks == alone_hooks
    assert len({b["id"] for b in split_hooks}) == len(split_hooks)  # each event delivered once
