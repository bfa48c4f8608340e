"""A sandbox for a client's own tests: in this process, on 127.0.0.1 and a free port, on a manual
clock pinned to a start instant. The pytest fixture `batchcalls_sandbox` hands one out
(`pytest_plugin.py`); it can be used without pytest too:

    with ClientSandbox() as sandbox:
        my_client = MyClient(sandbox.base_url, sandbox.api_key)
        batch = my_client.launch_campaign()
        sandbox.advance_until(batch=batch["id"], status="completed")
        sandbox.journal.assert_called("POST", "/api/public/v1/batch-calls/{batch_call_id}/schedule")

Everything goes through the sandbox's HTTP interface (the public API, `/_mock`), as the client's
code does: the sandbox runs in a thread of the test process, but the test reaches it over a socket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from mock_server.dialects.zudu.credentials import KEY_AND_SECRET
from mock_server.fixtures import SANDBOX_KEY, ZUDU_SANDBOX_KEY, ZUDU_SANDBOX_SECRET
from mock_server.mcp_server.sandbox_client import Credentials
from mock_server.testing.journal import RequestJournal
from mock_server.testing.webhook_receiver import WebhookReceiver

API = "/api/public/v1"
# Monday 2 March 2026, 08:00 UTC: a working day, before a 09:00 window opens in most zones
DEFAULT_START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
DEFAULT_WITHIN = timedelta(days=31)  # how far advance_until(batch=…) goes before it gives up


@dataclass(frozen=True, slots=True)
class ZuduPair:
    """The workspace's Zudu credentials; Zudu's API is served at the sandbox's root (`base_url`)."""

    api_key: str
    api_secret: str
    base_url: str

    @property
    def headers(self) -> dict[str, str]:
        return KEY_AND_SECRET.sent_as(self.api_key, self.api_secret)


def _instant(moment: datetime | str) -> str:
    if isinstance(moment, str):
        return moment
    if moment.tzinfo is None:
        raise ValueError("give the moment a time zone (e.g. datetime(..., tzinfo=UTC))")
    return moment.isoformat()


class ClientSandbox:
    """One sandbox and its default workspace. `settings` are `mock_server.settings.Settings` fields
    (e.g. `seed=7`, `latency_ms=200`, `rate_limit="100/min"`); the clock is manual from `start_at`."""

    def __init__(self, *, start_at: datetime = DEFAULT_START, **settings: Any) -> None:
        from contextlib import ExitStack

        from contracts.inprocess import serve
        from mock_server.app import create_app
        from mock_server.settings import Settings

        # the README's keys unless the settings name others, also under an admin token: a client's
        # tests are written against known keys
        known = {"sandbox_key": SANDBOX_KEY, "zudu_key": ZUDU_SANDBOX_KEY, "zudu_secret": ZUDU_SANDBOX_SECRET}
        # it listens on loopback, as `serve` does by default: its Host rule and its receivers' too
        loopback = {"listen_host": "127.0.0.1", "allow_private_webhooks": True}
        chosen = Settings(**{"quiet": True, **known, **loopback, **settings, "clock": "manual",
                             "start_at": start_at.timestamp()})
        self._stack = ExitStack()
        self.origin = self._stack.enter_context(serve(create_app(chosen)))
        self.base_url = self.origin + API
        self.api_key: str = chosen.sandbox_key or SANDBOX_KEY
        self.zudu = ZuduPair(chosen.zudu_key or ZUDU_SANDBOX_KEY, chosen.zudu_secret or ZUDU_SANDBOX_SECRET,
                             self.origin)
        headers = Credentials.of(api_key=self.api_key, admin_token=chosen.admin_token).headers
        self.http = self._stack.enter_context(
            httpx.Client(base_url=self.origin, headers=dict(headers), timeout=30)
        )
        self.journal = RequestJournal(self.origin, api_key=self.api_key, admin_token=chosen.admin_token)
        self._stack.callback(self.journal.close)
        self._receiver: WebhookReceiver | None = None

    # the clock
    def now(self) -> datetime:
        """The workspace's simulated now."""
        return datetime.fromisoformat(self._control("GET", "/_mock/clock")["now"])

    def advance(
        self, *, seconds: float = 0, minutes: float = 0, hours: float = 0, days: float = 0
    ) -> dict[str, Any]:
        """Move the clock forward, running every call and event that falls due on the way."""
        total = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds).total_seconds()
        return self._control("POST", "/_mock/clock/advance", json={"seconds": total})

    def advance_until(
        self,
        moment: datetime | str | None = None,
        *,
        batch: str | None = None,
        status: str = "completed",
        within: timedelta = DEFAULT_WITHIN,
    ) -> dict[str, Any]:
        """Move the clock to `moment` (answers the clock), or until the Truedy batch call `batch`
        has `status` (answers the batch): event by event, for at most `within` of simulated time,
        then the test fails saying where the batch stood."""
        if (moment is None) == (batch is None):
            raise TypeError("advance_until takes a moment or batch=…, not both")
        if moment is not None:
            return self._control("POST", "/_mock/clock/advance", json={"until": _instant(moment)})
        deadline = self.now() + within
        while True:
            found = self._public("GET", f"/batch-calls/{batch}")
            clock = self._control("GET", "/_mock/clock")
            if found["status"] == status:
                return found
            upcoming = clock["next_event_at"]
            if upcoming is None or datetime.fromisoformat(upcoming) > deadline:
                raise AssertionError(
                    f"batch {batch} is {found['status']!r}, not {status!r}, at {clock['now']}; "
                    + (
                        "nothing else is due"
                        if upcoming is None
                        else f"nothing more happens before {deadline}"
                    )
                )
            self._control("POST", "/_mock/clock/advance", json={"until": upcoming})

    # what the workspace does
    def fault(self, **rule: Any) -> dict[str, Any]:
        """Add a fault rule (`path` glob, `method`, `status`, `latency_ms`, `drop_connection`,
        `probability`, `count`); the reset between tests clears it."""
        return self._control("POST", "/_mock/faults", json=rule)

    @property
    def webhooks(self) -> WebhookReceiver:
        """A receiver for this workspace's webhooks, started (and set as its receiver) on first use."""
        if self._receiver is None:
            self._receiver = WebhookReceiver()
            self._receiver.start()
            self._stack.callback(self._receiver.close)
            self._listen()
        return self._receiver

    def start_readiness(self) -> None:
        """Arm a client readiness session: the sandbox starts grading what the client sends."""
        self._control("POST", "/_mock/readiness/start")

    def readiness(self) -> dict[str, Any]:
        """The readiness report so far: `verdict` and `checks` (see the README's table)."""
        return self._control("GET", "/_mock/readiness")

    def reset(self) -> None:
        """Back to a fresh workspace at the start instant: no batches, faults, journal or events."""
        self._control("POST", "/_mock/reset")
        self.journal.clear()  # the reset was journaled: a test starts with an empty journal
        if self._receiver is not None:
            self._listen()

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> ClientSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _listen(self) -> None:
        assert self._receiver is not None
        secret = self._control("GET", "/_mock/webhooks")["secret"]
        self._control("PUT", "/_mock/webhooks", json={"url": self._receiver.listen(secret)})

    def _control(self, method: str, path: str, json: Any = None) -> dict[str, Any]:
        response = self.http.request(method, path, json=json)
        if response.status_code >= 400:
            raise AssertionError(f"{method} {path} answered {response.status_code}: {response.text}")
        answer: dict[str, Any] = response.json() if response.content else {}
        return answer

    def _public(self, method: str, path: str) -> dict[str, Any]:
        data: dict[str, Any] = self._control(method, API + path)["data"]
        return data
