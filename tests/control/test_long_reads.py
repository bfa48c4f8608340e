"""A tenant's long reads are done in turns (engine/turns.py): a request of another tenant sent while
one is under way is answered before it ends, not after (issue 20's noisy neighbour: a report over
10,000 requests held every tenant for 0.4 s, a journal page of 1,000 large entries for 0.2 s)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx2 as httpx
import pytest
from support import API, START

from mock_server import readiness_session
from mock_server.app import create_app
from mock_server.control import journal_ops, world_ops
from mock_server.engine import turns
from mock_server.settings import Settings

ADMIN = {"X-Mock-Admin-Token": "admin-token-0123"}
CREATE = {"name": "n", "agent_id": "agt_sandbox_ready", "contacts": [{"phone_number": "+14155550100"}]}
CALLS = {"name": "calls", "agent_id": "agt_sandbox_ready", "max_concurrent_calls": 50, "start_time": "00:00",
         "end_time": "23:59", "working_days": [1, 2, 3, 4, 5, 6, 7],
         "contacts": [{"phone_number": f"+1415555{n:04d}"} for n in range(50)]}


def noted(started: asyncio.Event, work: Callable[..., Any]) -> Callable[..., Any]:
    """`work`, noting in `started` that the long read has begun its items."""

    def first(*args: Any) -> Any:
        started.set()
        return work(*args)

    return first


async def quiet_during(long_read: str, tenant: dict[str, str], started: asyncio.Event, http: Any,
                       quiet: dict[str, str]) -> tuple[bool, int, int]:
    """Send the long read, then, once it has begun, a quiet tenant's GET: (whether the long read was
    still under way when the GET was answered, both statuses)."""
    reading = asyncio.ensure_future(http.get(long_read, headers=tenant))
    await asyncio.wait_for(started.wait(), 10)  # bounded: a long read with no items never starts them
    answer = await http.get(f"{API}/batch-calls", headers=quiet)
    under_way = not reading.done()
    return under_way, (await reading).status_code, answer.status_code


LONG_READS = [  # the read, and the module and function of the work it does an item at a time
    ("/_mock/requests?limit=1000", journal_ops, "entry_json"),
    ("/_mock/requests?limit=1000&format=har", journal_ops, "har_page_entry"),
    ("/_mock/readiness?format=md", readiness_session, "graded_exchange"),
    ("/_mock/webhooks/deliveries", world_ops, "delivery_json"),
    ("/_mock/workspaces", world_ops, "summary"),
]


@pytest.mark.parametrize(("long_read", "module", "item_work"), LONG_READS)
def test_another_tenant_is_answered_while_a_long_read_goes_on(
    long_read: str, module: Any, item_work: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(turns, "TURN_SECONDS", 0.0)  # a turn an item: the order shows the turns
    app = create_app(Settings(clock="manual", start_at=START, admin_token=ADMIN["X-Mock-Admin-Token"],
                              allow_private_webhooks=True, quiet=True))  # in process: no loopback socket

    async def scenario() -> tuple[bool, int, int]:
        started = asyncio.Event()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            keys = [(await http.post("/_mock/workspaces", headers=ADMIN)).json()["api_key"] for _ in "ab"]
            for _ in range(100):  # for the list of workspaces
                await http.post("/_mock/workspaces", headers=ADMIN)
            noisy, quiet = ({"Authorization": f"Bearer {key}"} for key in keys)
            await http.post("/_mock/readiness/start", headers=noisy)
            hooked = await http.put("/_mock/webhooks", headers=noisy, json={"url": "http://127.0.0.1:9/hooks"})
            assert hooked.status_code == 200, hooked.text
            for n in range(300):
                keyed = {**noisy, "X-Idempotency-Key": f"k{n}"}
                await http.post(f"{API}/batch-calls", json=CREATE, headers=keyed)
            batch = (await http.post(f"{API}/batch-calls", json=CALLS, headers=noisy)).json()["data"]["id"]
            await http.post(f"{API}/batch-calls/{batch}/schedule", headers=noisy)
            await http.post("/_mock/clock/advance", json={"seconds": 86_400}, headers=noisy)  # deliveries
            monkeypatch.setattr(module, item_work, noted(started, getattr(module, item_work)))
            return await quiet_during(long_read, {**noisy, **ADMIN}, started, http, quiet)

    under_way, long_status, quiet_status = asyncio.run(scenario())
    assert (long_status, quiet_status) == (200, 200)
    assert under_way, "the quiet tenant waited for the whole long read"


@pytest.mark.parametrize("read", ["/_mock/requests?limit=1000", "/_mock/requests/count"])
def test_a_journal_read_in_turns_sees_the_journal_as_it_was_asked(
    read: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tenant's own requests are recorded while its journal is read in turns: the read answers
    what the journal held when it began (a scan of the live journal failed: mutated meanwhile)."""
    monkeypatch.setattr(turns, "TURN_SECONDS", 0.0)
    app = create_app(Settings(clock="manual", start_at=START, quiet=True))
    auth = {"Authorization": "Bearer sk_test_sandbox"}

    async def scenario() -> tuple[int, Any]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            for _ in range(200):
                await http.get(f"{API}/batch-calls?limit=1", headers=auth)
            reading = asyncio.ensure_future(http.get(read, headers=auth))
            await asyncio.sleep(0)  # the read begins: its first turn
            for _ in range(1_000):  # a request recorded between each two of its turns
                if reading.done():
                    break
                await http.get(f"{API}/batch-calls?limit=1", headers=auth)
                await asyncio.sleep(0)
            answer = await reading
            return answer.status_code, answer.json()

    status, body = asyncio.run(scenario())
    assert status == 200
    assert body.get("count", body.get("total")) == 200
