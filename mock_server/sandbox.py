"""The sandbox's state and services: the clock, ids, the store, the dispatcher and the event log.

One object per app, built from Settings and handed to the HTTP layers; reset rebuilds it.
"""

from __future__ import annotations

import time
from typing import Any

from mock_server.core.clock import Clock, ManualClock, RealClock
from mock_server.core.dispatcher import Dispatcher
from mock_server.core.events import DomainEvent
from mock_server.core.ids import IdFactory
from mock_server.core.outcomes import SimulationConfig
from mock_server.core.timefmt import timestamp
from mock_server.engine.faults import FaultTable
from mock_server.engine.kept import json_to_keep
from mock_server.engine.ratelimit import Limit, RateLimiter
from mock_server.fixtures import seed_workspace
from mock_server.readiness_sessions import ReadinessSessions
from mock_server.settings import Settings
from mock_server.store.base import Collection, IdempotencyRecord, Store, Workspace
from mock_server.store.memory import MemoryStore
from mock_server.webhooks import Delivery, Outbox, WebhookPolicy


def make_clock(settings: Settings) -> Clock:
    start = settings.start_at if settings.start_at is not None else float(int(time.time()))
    if settings.clock == "manual":
        return ManualClock(start)
    return RealClock(settings.speed, start if settings.start_at is not None else None)


class Sandbox:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.max_body_bytes = settings.max_body_bytes
        self.latency_seconds = settings.latency_ms / 1000
        self.live_edits = settings.live_edits
        self.outbox = Outbox(WebhookPolicy(retry_base_seconds=settings.webhook_retry_base_seconds))
        self.writes = 0  # requests that may have changed state; never reset, so versions never repeat
        self._build()

    def _build(self) -> None:
        settings = self.settings
        self.clock = make_clock(settings)
        self.ids = IdFactory(settings.seed)
        # request ids have their own stream: reading the API never shifts the ids of what it creates
        self.request_ids = IdFactory(settings.seed + 1)
        # credentials of new workspaces have theirs too: adding a Zudu pair shifted no other id
        self.credential_ids = IdFactory(settings.seed + 2)
        self.store: Store = MemoryStore()
        self._workspaces: dict[str, Workspace] = {}
        self.faults = FaultTable(settings.seed)
        self.rate_limiter = RateLimiter(Limit.parse(settings.rate_limit)) if settings.rate_limit else None
        self.outbox.clear()
        self.readiness = ReadinessSessions()
        config = SimulationConfig(
            cost_per_minute_usd=settings.cost_per_minute_usd,
            retry_delay_seconds=settings.retry_delay_seconds,
        )
        self.dispatcher = Dispatcher(seed=settings.seed, config=config, emit=self._record, ids=self.ids)
        self.default_workspace = self.add_workspace(
            settings.sandbox_key, (settings.zudu_key, settings.zudu_secret)
        )

    def reset(self) -> None:
        """Back to the state of a fresh start with the same settings."""
        self._build()

    # Runtime ---------------------------------------------------------------------------------
    def now(self) -> float:
        return self.clock.now()

    def new_id(self, prefix: str) -> str:
        return self.ids.new(prefix)

    def note_write(self) -> None:
        """A request that may have changed state was answered (any method but GET and HEAD)."""
        self.writes += 1

    def state_version(self) -> tuple[int, int]:
        """Changes whenever the state may have: a write was answered or a simulated event ran."""
        return self.writes, self.dispatcher.events_run

    def new_request_id(self) -> str:
        return self.request_ids.new("req")

    def catch_up(self) -> None:
        """In real time, run what fell due since the last request before answering this one."""
        if isinstance(self.clock, RealClock):
            self.dispatcher.run_until(self.clock.now())

    def idempotency_records(self, workspace: Workspace) -> Collection[IdempotencyRecord]:
        return self.store.idempotency(workspace.id)

    # workspaces and events -------------------------------------------------------------------
    def add_workspace(
        self, api_key: str | None = None, key_pair: tuple[str, str] | None = None
    ) -> Workspace:
        if key_pair is None:
            key_pair = (self.credential_ids.new("zk_test"), self.credential_ids.new("zs_test"))
        workspace = Workspace(
            id=self.new_id("ws"),
            api_key=api_key or f"sk_test_{self.ids.new('key').split('_', 1)[1]}",
            key_pair=key_pair,
            webhook_url=self.settings.webhook_url,
            webhook_secret=f"whsec_{self.ids.new('sec').split('_', 1)[1]}",
        )
        self.store.add_workspace(workspace)
        self._workspaces[workspace.id] = workspace
        seed_workspace(self.store, workspace, self.now())
        return workspace

    def advance(self, target: float) -> int:
        """Manual clock: move to `target`, running every due event in time order on the way."""
        if not isinstance(self.clock, ManualClock):
            raise ValueError("the clock is in real mode; advance works in manual mode only")
        ran = self.dispatcher.run_until(target)
        self.clock.advance_to(target)
        return ran

    def _record(self, event: DomainEvent) -> None:
        """Log the event, and queue it for the workspace's webhook receiver if it has one."""
        entry: dict[str, Any] = {
            "id": self.new_id("evt"),
            "event": event.type,
            "timestamp": timestamp(event.at),
            "data": event.data,
        }
        self.store.events(event.workspace_id).append(entry)
        workspace = self._workspaces[event.workspace_id]
        if workspace.webhook_url:
            delivery = Delivery(
                id=self.new_id("whd"),
                workspace_id=workspace.id,
                event_id=entry["id"],
                event_type=event.type,
                url=workspace.webhook_url,
                secret=workspace.webhook_secret,
                body=json_to_keep(entry),
            )
            self.outbox.enqueue(delivery)
            for challenge in self.readiness.challenge_deliveries(delivery):
                self.outbox.enqueue(challenge)
