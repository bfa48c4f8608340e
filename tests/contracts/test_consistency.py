"""Reads agree with writes (`contracts.consistency`): the check both APIs' profiles register, pure,
and the proxy's `proxy/read_after_write` in front of the sandbox with and without its
`stale_read_after_patch` defect (the rules suite's: tests/contracts/test_defects.py)."""

from __future__ import annotations

from typing import Any

import httpx
from support import START
from test_proxy import API, AUTH, proxy, report

from contracts.consistency import ReadsAfterWrites, path_values
from contracts.dialects import TRUEDY, ZUDU
from contracts.inprocess import serve
from mock_server.app import create_app
from mock_server.settings import Settings

ONE = "/batch-calls/{batch_call_id}"


def truedy() -> ReadsAfterWrites:
    assert TRUEDY.read_after_write is not None
    return ReadsAfterWrites(TRUEDY.read_after_write, TRUEDY.lifecycle)


def batch(status: str = "draft", **fields: Any) -> dict[str, Any]:
    return {"data": {"id": "b1", "status": status, "name": "first", "max_concurrent_calls": 2, **fields}}


def test_a_read_that_does_not_show_the_write_is_named() -> None:
    reads = truedy()
    assert reads.observe(1, "update_batch_call", ONE, "/batch-calls/b1", 200, batch(name="second")) == []
    [problem] = reads.observe(2, "get_batch_call", ONE, "/batch-calls/b1", 200, batch())
    assert problem == (
        "batch 'b1' read (get_batch_call /batch-calls/b1 → 200) does not show what the write answered "
        "(update_batch_call /batch-calls/b1 → 200): name: 'second' then 'first'"
    )
    listed = {"data": [batch(name="second")["data"]]}  # a list showing it right
    assert reads.observe(3, "list_batch_calls", "/batch-calls", "/batch-calls", 200, listed) == []


def test_what_may_change_by_itself_and_what_came_before_is_no_finding() -> None:
    reads = truedy()
    reads.observe(5, "schedule_batch_call", ONE + "/schedule", "/batch-calls/b1/schedule", 200,
                  batch("scheduled", completed_contacts=0))
    later = batch("active", completed_contacts=3)  # the lifecycle moved on, counters too
    assert reads.observe(6, "get_batch_call", ONE, "/batch-calls/b1", 200, later) == []
    sent_before = reads.observe(4, "get_batch_call", ONE, "/batch-calls/b1", 200, batch("draft"))
    assert sent_before == []
    [problem] = reads.observe(7, "get_batch_call", ONE, "/batch-calls/b1", 200, batch("draft"))
    assert problem.endswith("status: 'scheduled' then 'draft'")
    # an answer that does not show the batch (a contacts upload) forgets it: no expectation after
    reads.observe(8, "upload_batch_call_contacts", ONE + "/contacts", "/batch-calls/b1/contacts", 200, {})
    assert reads.observe(9, "get_batch_call", ONE, "/batch-calls/b1", 200, batch("draft")) == []


def test_a_deleted_draft_must_stay_gone_a_deleted_running_batch_may_be_cancelled() -> None:
    reads = truedy()
    reads.observe(1, "create_batch_call", "/batch-calls", "/batch-calls", 201, batch())
    reads.observe(2, "delete_batch_call", ONE, "/batch-calls/b1", 204, None)
    [problem] = reads.observe(3, "get_batch_call", ONE, "/batch-calls/b1", 200, batch())
    assert problem.startswith("batch 'b1' was deleted (delete_batch_call /batch-calls/b1 → 204)")
    scheduled = batch("scheduled")
    reads.observe(4, "schedule_batch_call", ONE + "/schedule", "/batch-calls/b1/schedule", 200, scheduled)
    reads.observe(5, "delete_batch_call", ONE, "/batch-calls/b1", 204, None)
    assert reads.observe(6, "get_batch_call", ONE, "/batch-calls/b1", 200, batch("cancelled")) == []


def test_zudus_profile_the_same_check() -> None:
    assert ZUDU.read_after_write is not None
    reads = ReadsAfterWrites(ZUDU.read_after_write, ZUDU.lifecycle)
    one = "/batch-call/{batch_call_id}"
    item = {"batch_call_id": "z1", "status": "draft", "name": "renamed"}
    reads.observe(1, "update_batch_call", one, "/batch-call/z1", 200, {"status": "success", "data": item})
    page = {"status": "success", "data": {"batch_calls": [{**item, "name": "old"}]}}
    [problem] = reads.observe(2, "list_batch_calls", "/batch-call/list", "/batch-call/list", 200, page)
    assert "name: 'renamed' then 'old'" in problem
    assert path_values(one, "/v1/batch-call/z1?x=1") == {"batch_call_id": "z1"}


def test_the_proxy_finds_a_stale_read_after_patch() -> None:
    """(In front of the correct sandbox the proxy's run is clean: tests/contracts/test_proxy.py.)"""
    defects = frozenset({"stale_read_after_patch"})
    settings = Settings(clock="manual", start_at=START, seed=7, quiet=True, defects=defects)
    with serve(create_app(settings)) as origin, proxy(origin) as (url, _):
        with httpx.Client(base_url=url + API, headers=AUTH, timeout=10) as client:
            body = {"name": "before", "agent_id": "agt_sandbox_ready", "contact_source": "folder",
                    "contact_folder_id": "folder_sandbox_demo"}
            batch_id = client.post("/batch-calls", json=body).json()["data"]["id"]
            assert client.patch(f"/batch-calls/{batch_id}", json={"name": "after"}).status_code == 200
            assert client.get(f"/batch-calls/{batch_id}").status_code == 200
        seen = report(url)
    [finding] = [f for f in seen["findings"] if f["id"] == "proxy/read_after_write"]
    assert "name: 'after' then 'before'" in finding["evidence"][0]["message"]
