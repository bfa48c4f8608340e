"""Delivery slots belong to workspaces, not to receivers (issue 20, defect 9): a workspace whose
receiver never answers holds its own four slots, and another workspace's deliveries to the same
host and port go out at once."""

from __future__ import annotations

import pytest
from receiver import Receiver, receiving, run_campaign, wait_until
from support import AUTH, CheckedClient

from mock_server.webhooks import WebhookPolicy

PER_WORKSPACE = WebhookPolicy().per_workspace


def slow_then_fast(client: CheckedClient, receiver: Receiver) -> tuple[int, int]:
    """The default workspace's campaign to the receiver's held path, then, once its first attempts
    are held, another workspace's to a path of the same receiver that answers at once. Returns how
    many attempts the slow path held when the other workspace's last delivery arrived, and how many
    events the slow workspace had."""
    assert client.put("/_mock/webhooks", json={"url": receiver.url("/slow")}, headers=AUTH).status_code == 200
    slow_events = run_campaign(client, AUTH, 20)  # dozens of deliveries, each held until released
    wait_until(lambda: receiver.open.get("/slow", 0) >= PER_WORKSPACE, 5, "the slow path to hold 4")
    other = client.post("/_mock/workspaces", json={"webhook_url": receiver.url("/fast")})
    assert other.status_code == 201, other.text
    fast_events = run_campaign(client, {"Authorization": f"Bearer {other.json()['api_key']}"}, 3)
    # each held attempt has 5 s before its deadline ends it: the other workspace's arrive before
    wait_until(lambda: len(receiver.on("/fast")) == len(fast_events), 4, "the other workspace's deliveries")
    return receiver.open["/slow"], len(slow_events)


def test_a_slow_receiver_path_holds_only_its_own_workspaces_slots(client: CheckedClient) -> None:
    with receiving(holding=("/slow",)) as receiver:
        held, slow_events = slow_then_fast(client, receiver)
        assert PER_WORKSPACE <= held < slow_events  # every instance's slots of it, still held


@pytest.mark.in_process  # the bound is per process: each instance of a cluster has its own
def test_a_workspace_never_holds_more_than_its_slots(client: CheckedClient) -> None:
    with receiving(holding=("/slow",)) as receiver:
        held, _ = slow_then_fast(client, receiver)
        assert held == receiver.most_open["/slow"] == len(receiver.on("/slow")) == PER_WORKSPACE
