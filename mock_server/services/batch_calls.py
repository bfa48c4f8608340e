"""Campaigns built from the directory (an agent, its numbers, contacts and folders): look things up
in the store, apply the core's rules, drive the dispatcher. Lookups, the start and deletion are
shared with every shape of batch (`services.batches`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from mock_server.core import batch_rules
from mock_server.core.contact_rows import ContactRow
from mock_server.core.errors import InvalidState, NotFound, RequestInvalid
from mock_server.core.models import Agent, Batch, BatchSettings, PhoneNumber
from mock_server.services.batches import Batches, UploadResult

__all__ = ["BatchCalls", "BulkDeleteResult", "UploadResult"]


@dataclass(frozen=True, slots=True)
class BulkDeleteResult:
    deleted_ids: list[str]
    failed_ids: list[str]


class BatchCalls(Batches):
    def _agent(self, agent_id: str) -> Agent:
        agent = self.rt.store.agents(self.ws.id).get(agent_id)
        if agent is None:
            raise NotFound("agent", agent_id)
        return agent

    def _numbers(self, number_ids: Sequence[str]) -> list[PhoneNumber]:
        numbers = self.rt.store.numbers(self.ws.id)
        found = []
        for number_id in number_ids:
            number = numbers.get(number_id)
            if number is None:
                raise NotFound("phone_number", number_id)
            found.append(number)
        return found

    def _check_settings(self, settings: BatchSettings, now: float, *, timing: bool = True) -> Agent:
        """Validation, then references (404), then business rules (422), in that order."""
        problems = batch_rules.settings_violations(settings)
        if problems:
            raise RequestInvalid(problems)
        agent = self._agent(settings.agent_id)
        self._numbers(settings.phone_number_ids)
        if settings.contact_folder_id is not None:
            if self.rt.store.folders(self.ws.id).get(settings.contact_folder_id) is None:
                raise NotFound("contact_folder", settings.contact_folder_id)
        batch_rules.require_creatable(settings, agent, now, timing=timing)
        return agent

    # commands --------------------------------------------------------------------------------
    def create(
        self, settings: BatchSettings, contact_ids: Sequence[str], inline: Sequence[ContactRow]
    ) -> Batch:
        now = self.rt.now()
        self._check_settings(settings, now)
        directory = self.rt.store.contacts(self.ws.id)
        chosen: list[ContactRow] = list(inline)
        for contact_id in contact_ids:
            contact = directory.get(contact_id)
            if contact is None:
                raise NotFound("contact", contact_id)
            chosen.append(
                ContactRow(
                    contact.phone_number, contact.first_name, contact.last_name, contact.email, contact.id
                )
            )
        if settings.contact_folder_id is not None:
            chosen.extend(
                ContactRow(c.phone_number, c.first_name, c.last_name, c.email, c.id)
                for c in directory.values()
                if c.folder_id == settings.contact_folder_id
            )
        return self._new_batch(settings, chosen)

    def upload_contacts(self, batch_id: str, contacts: Sequence[ContactRow]) -> tuple[Batch, UploadResult]:
        batch = self.get(batch_id)
        self.lifecycle.require(batch, "upload contacts to")
        result = self._add_contacts(batch, contacts)
        batch.updated_at = self.rt.now()
        return batch, result

    def update(self, batch_id: str, changes: dict[str, object]) -> Batch:
        batch = self.get(batch_id)
        live = self.rt.live_edits
        self.lifecycle.require(batch, "update", batch_rules.EDITABLE_LIVE if live else None)
        now = self.rt.now()
        merged = replace(batch.settings, **changes)  # type: ignore[arg-type]
        agent = self._check_settings(
            merged, now, timing=bool({"scheduled_at", "schedule_type"} & changes.keys())
        )
        numbers = None
        if batch.status in ("scheduled", "paused"):
            numbers = self._numbers(batch_rules.require_numbers(merged.phone_number_ids, agent))
        previous = batch.settings, batch.updated_at
        batch.settings = merged
        batch.updated_at = now
        if numbers is not None:
            try:
                with self.on_time(batch, "update", batch_rules.EDITABLE_LIVE if live else None):
                    self.rt.dispatcher.replan(batch, now, numbers)
            except InvalidState:
                batch.settings, batch.updated_at = previous
                raise
        return batch

    def schedule(self, batch_id: str, scheduled_at: float | None, timezone: str | None) -> Batch:
        batch = self.get(batch_id)
        self.lifecycle.require(batch, "schedule")
        now = self.rt.now()
        settings = batch.settings
        if timezone is not None:
            settings = replace(settings, timezone=timezone)
        if scheduled_at is not None:
            settings = replace(settings, schedule_type="scheduled", scheduled_at=scheduled_at)
        problems = batch_rules.settings_violations(settings)
        if problems:
            raise RequestInvalid(problems)
        batch_rules.require_contacts(batch)
        agent = self._agent(settings.agent_id)
        batch_rules.require_ready(agent)
        number_ids = batch_rules.require_numbers(settings.phone_number_ids, agent)
        numbers = self._numbers(number_ids)
        start_at = settings.scheduled_at if settings.schedule_type == "scheduled" else None
        self._launch(batch, settings, numbers, start_at, now)
        return batch

    def pause(self, batch_id: str) -> Batch:
        batch = self.get(batch_id)
        self.lifecycle.require(batch, "pause")
        with self.on_time(batch, "pause"):
            self.rt.dispatcher.pause(batch, self.rt.now())
        return batch

    def resume(self, batch_id: str) -> Batch:
        batch = self.get(batch_id)
        self.lifecycle.require(batch, "resume")
        with self.on_time(batch, "resume"):
            self.rt.dispatcher.resume(batch, self.rt.now())
        return batch

    def bulk_delete(self, batch_ids: Sequence[str]) -> BulkDeleteResult:
        deleted: list[str] = []
        failed: list[str] = []
        for batch_id in dict.fromkeys(batch_ids):
            try:
                self.delete(batch_id)
            except NotFound:
                failed.append(batch_id)
            else:
                deleted.append(batch_id)
        return BulkDeleteResult(deleted, failed)
