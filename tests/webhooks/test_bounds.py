"""What the outbox keeps is bounded per workspace (issue 20, defect 14), through HTTP, each bound at
its edge: the finished deliveries shown (1,000), the pending ones (10,000, the oldest dropped and
counted); a reset drops a workspace's pending deliveries, and so does a reset of everything for a
workspace it removes."""

from __future__ import annotations

from typing import Any

import pytest
from receiver import receiving, run_campaign, wait_until
from support import AUTH, CheckedClient, make_client

from mock_server.webhooks import WebhookPolicy

POLICY = WebhookPolicy()


def deliveries(client: CheckedClient, headers: dict[str, str] = AUTH) -> dict[str, Any]:
    page: dict[str, Any] = client.get("/_mock/webhooks/deliveries", headers=headers).json()
    return page


def test_only_the_last_finished_deliveries_are_kept(client: CheckedClient) -> None:
    with receiving() as receiver:
        client.put("/_mock/webhooks", json={"url": receiver.url("/hooks")}, headers=AUTH)
        events = run_campaign(client, AUTH, POLICY.history // 2)  # two events a call, and the batch's
        assert len(events) > POLICY.history
        wait_until(lambda: len(receiver.arrived) >= len(events), 20, "every delivery")  # (a retry: more)
        pages: list[dict[str, Any]] = []

        def settled() -> bool:
            pages.append(deliveries(client))
            return all(d["state"] == "delivered" for d in pages[-1]["data"])

        wait_until(settled, 5, "the deliveries to settle")
    page = pages[-1]
    assert page["total"] == len(page["data"]) == POLICY.history and page["dropped"] == 0
    shown = {d["event_id"] for d in page["data"]}
    assert events[0]["id"] not in shown and events[-1]["id"] in shown  # the oldest left memory


def test_past_the_pending_bound_the_oldest_waiting_delivery_is_dropped() -> None:
    # the event log keeps more events than there are pending deliveries, so that the test sees all
    with make_client(max_events=4 * POLICY.pending) as client, receiving(holding=("/hooks",)) as receiver:
        # the receiver never answers: every delivery stays pending
        client.put("/_mock/webhooks", json={"url": receiver.url("/hooks")}, headers=AUTH)
        events = run_campaign(client, AUTH, POLICY.pending // 2)
        over = len(events) - POLICY.pending
        assert over > 0
        page = deliveries(client)
        assert page["total"] == len(page["data"]) == POLICY.pending and page["dropped"] == over
        kept = {d["event_id"] for d in page["data"]}
        missing = [n for n, event in enumerate(events) if event["id"] not in kept]
        # the oldest waiting ones made room (an attempt in flight is never the one dropped)
        assert len(missing) == over and max(missing) < over + POLICY.per_workspace
        assert events[-1]["id"] in kept


@pytest.mark.in_process  # with --store, each instance stops on applying the reset's row
def test_a_reset_drops_the_workspaces_pending_deliveries(client: CheckedClient) -> None:
    with receiving(holding=("/hooks",)) as receiver:
        client.put("/_mock/webhooks", json={"url": receiver.url("/hooks")}, headers=AUTH)
        run_campaign(client, AUTH, 5)
        assert deliveries(client)["total"] > POLICY.per_workspace
        # every slot of the workspace holds an attempt at the receiver before the reset
        wait_until(lambda: receiver.open.get("/hooks", 0) == POLICY.per_workspace, 10, "the slots to fill")
        assert client.post("/_mock/reset", headers=AUTH).status_code == 200
        assert deliveries(client) == {"data": [], "total": 0, "dropped": 0}
        receiver.release()  # the attempts in flight end; nothing more is sent
        wait_until(lambda: not receiver.open.get("/hooks"), 5, "the held attempts to end")
        assert len(receiver.on("/hooks")) == POLICY.per_workspace


@pytest.mark.in_process  # with --store, each instance stops on applying the reset's row
def test_a_reset_of_everything_drops_the_deliveries_of_workspaces_it_removes(client: CheckedClient) -> None:
    with receiving(holding=("/gone",)) as receiver:
        created = client.post("/_mock/workspaces", json={"webhook_url": receiver.url("/gone")}).json()
        headers = {"Authorization": f"Bearer {created['api_key']}"}
        run_campaign(client, headers, 5)
        wait_until(lambda: receiver.open.get("/gone") == POLICY.per_workspace, 5, "the first attempts")
        assert client.post("/_mock/reset", params={"scope": "all"}).status_code == 200
        receiver.release()
        # a delivery of the default workspace, sent after the reset, is the sign the outbox moved on
        client.put("/_mock/webhooks", json={"url": receiver.url("/after")}, headers=AUTH)
        after = run_campaign(client, AUTH, 1)
        wait_until(lambda: len(receiver.on("/after")) == len(after), 5, "the default workspace's deliveries")
        assert len(receiver.on("/gone")) == POLICY.per_workspace
