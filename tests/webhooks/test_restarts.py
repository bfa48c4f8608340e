"""The bounded outbox across a restart of a state file, from its rows or from a snapshot: what was
delivered is shown as delivered and not sent again (nor counted as waiting or dropped), and what
was still pending is sent once the receiver is back."""

from __future__ import annotations

from pathlib import Path

import pytest
from receiver import receiving, run_campaign, wait_until
from support import AUTH, make_client


@pytest.mark.in_process
@pytest.mark.parametrize("snapshot_every", [2, 10_000])
def test_a_restart_keeps_the_delivered_and_sends_the_rest(tmp_path: Path, snapshot_every: int) -> None:
    state_file = tmp_path / "state.db"
    with receiving(statuses={"/down": 503}) as receiver:
        with make_client(state_file=state_file, snapshot_every=snapshot_every) as client:
            client.put("/_mock/webhooks", json={"url": receiver.url("/hooks")}, headers=AUTH)
            delivered = run_campaign(client, AUTH, 2)
            wait_until(lambda: len(receiver.on("/hooks")) == len(delivered), 10, "the first deliveries")
            wait_until(lambda: {d["state"] for d in client.get("/_mock/webhooks/deliveries").json()["data"]}
                       == {"delivered"}, 5, "their states")
            client.put("/_mock/webhooks", json={"url": receiver.url("/down")}, headers=AUTH)
            failing = run_campaign(client, AUTH, 1)[len(delivered):]
            wait_until(lambda: len(receiver.on("/down")) >= len(failing), 10, "the failing attempts")
        receiver.statuses["/down"] = 204  # the receiver is back
        with make_client(state_file=state_file, snapshot_every=snapshot_every) as again:
            wait_until(lambda: {d["state"] for d in again.get("/_mock/webhooks/deliveries").json()["data"]}
                       == {"delivered"}, 10, "the pending deliveries after the restart")
            page = again.get("/_mock/webhooks/deliveries").json()
        assert page["total"] == len(delivered) + len(failing) and page["dropped"] == 0
        assert len(receiver.on("/hooks")) == len(delivered)  # not sent again
        sent_after = {a["body"]["id"] for a in receiver.on("/down")}
        assert sent_after == {e["id"] for e in failing}
