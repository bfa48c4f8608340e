"""Batches that call from one caller number given on the wire, to tasks given inline: no agent and
no number from the directory (Zudu's shape). They share the lookups, the start, deletion and the
dispatcher with every batch; the dialect's `Lifecycle` says which status allows which command.

Status targets are core statuses: `draft`, `scheduled`, `active` (dialling).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any

from mock_server.core import batch_rules
from mock_server.core.batch_rules import Lifecycle
from mock_server.core.contact_rows import ContactRow
from mock_server.core.errors import InvalidState, RequestInvalid, Violation
from mock_server.core.models import Batch, BatchSettings, BatchStatus, PhoneNumber
from mock_server.services.batches import Batches
from mock_server.services.world import World

CALLER_NUMBER_ID = "caller"  # the id of the one outbound number of such a batch, in call records
UPDATABLE = frozenset({"name", "timezone", "scheduled_at"})


class TaskBatches(Batches):
    def __init__(
        self,
        world: World,
        *,
        lifecycle: Lifecycle,
        namespace: str,
        id_prefix: str = "batch",
        task_prefix: str = "task",
    ) -> None:
        super().__init__(world, lifecycle=lifecycle, namespace=namespace)
        self.id_prefix = id_prefix
        self.task_prefix = task_prefix

    # lookups ---------------------------------------------------------------------------------
    def search(
        self,
        statuses: Collection[str] | None,
        agent_ids: Collection[str] | None,
        name_parts: Sequence[str] | None,
    ) -> list[Batch]:
        """Newest first; each filter given must match (a name matches any part, ignoring case)."""
        parts = [p.casefold() for p in name_parts or ()]
        return [
            b
            for b in self.find(None, None)
            if (statuses is None or b.status in statuses)
            and (agent_ids is None or b.settings.agent_id in agent_ids)
            and (not parts or any(p in b.settings.name.casefold() for p in parts))
        ]

    # commands --------------------------------------------------------------------------------
    def create(
        self,
        settings: BatchSettings,
        tasks: Sequence[ContactRow],
        attributes: dict[str, Any],
        target: BatchStatus = "draft",
    ) -> Batch:
        """A new batch, then started (`active`) or planned (`scheduled`) when asked."""
        self._check(settings)
        batch = self._new_batch(
            settings, tasks, id_prefix=self.id_prefix, contact_prefix=self.task_prefix, attributes=attributes
        )
        self._move(batch, self._action(batch, target), self.rt.now())
        return batch

    def execute(self, batch_id: str) -> Batch:
        """Start dialling now."""
        batch = self.get(batch_id)
        self.lifecycle.require(batch, "execute")
        self._move(batch, "execute", self.rt.now())
        return batch

    def update(self, batch_id: str, changes: Mapping[str, Any], target: BatchStatus | None) -> Batch:
        """Merge `changes` (name, timezone, scheduled_at) and move to `target`; every check runs
        before anything changes, so a refused update leaves the batch as it was."""
        unknown = set(changes) - UPDATABLE
        if unknown:
            raise ValueError(f"not updatable here: {sorted(unknown)}")
        batch = self.get(batch_id)
        self.lifecycle.require(batch, "update")
        if "scheduled_at" in changes:
            self.lifecycle.require(batch, "reschedule")
        action = self._action(batch, target)
        if action is not None:
            self.lifecycle.require(batch, action)
        merged = replace(batch.settings, **changes)
        self._check(merged)
        now = self.rt.now()
        if action == "schedule":
            self._require_start(merged.scheduled_at, now)
        previous = batch.settings, batch.updated_at
        batch.settings = merged
        batch.updated_at = now
        try:
            with self.on_time(batch, action or "reschedule"):
                if action is not None:
                    self._move(batch, action, now)
                elif batch.status == "scheduled" and "scheduled_at" in changes:
                    self.rt.dispatcher.replan(batch, now)
        except InvalidState:
            batch.settings, batch.updated_at = previous
            raise
        return batch

    # internals -------------------------------------------------------------------------------
    def _check(self, settings: BatchSettings) -> None:
        problems = batch_rules.settings_violations(settings)
        if problems:
            raise RequestInvalid(problems)

    @staticmethod
    def _action(batch: Batch, target: BatchStatus | None) -> str | None:
        """The command that takes the batch to `target`; None when it is there already."""
        if target is None or target == batch.status:
            return None
        if target == "active":
            return None if batch.status == "paused" else "execute"
        if target == "scheduled":
            return "schedule"
        if target == "draft":
            return "unschedule"
        raise ValueError(f"no command leads to {target}")

    @staticmethod
    def _require_start(at: float | None, now: float) -> None:
        loc = ("body", "scheduled_at")
        if at is None:
            raise RequestInvalid([Violation(loc, "a start time is needed to schedule", "missing")])
        if at <= now:
            raise RequestInvalid([Violation(loc, "the start time must be in the future", "value_error")])

    def _caller(self, batch: Batch) -> list[PhoneNumber]:
        number = batch.settings.caller_number
        if not number:
            raise ValueError(f"batch {batch.id} has no caller number")
        return [PhoneNumber(CALLER_NUMBER_ID, number, "caller number", None, batch.created_at)]

    def _move(self, batch: Batch, action: str | None, now: float) -> None:
        if action == "execute":
            settings = replace(batch.settings, schedule_type="immediate")
            self._launch(batch, settings, self._caller(batch), None, now)
            self.rt.dispatcher.run_until(now)  # the first calls start at once: dialling
        elif action == "schedule":
            at = batch.settings.scheduled_at
            self._require_start(at, now)
            settings = replace(batch.settings, schedule_type="scheduled")
            self._launch(batch, settings, self._caller(batch), at, now)
        elif action == "unschedule":
            with self.on_time(batch, "unschedule"):
                self.rt.dispatcher.unschedule(batch, now)
            batch.settings = replace(batch.settings, schedule_type="immediate")
        batch.updated_at = max(batch.updated_at, now)
