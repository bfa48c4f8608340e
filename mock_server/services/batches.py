"""The batches of one workspace as one dialect sees them: lookups, creation, the start, deletion.

Shared by every shape of batch: `BatchCalls` (campaigns built from the directory: agent, numbers,
contacts, folders) and `TaskBatches` (a caller number and inline tasks). What varies by dialect is
passed in: the lifecycle table and the namespace that keeps each dialect's batches its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from mypy_extensions import mypyc_attr

from mock_server.core import batch_rules, footprint
from mock_server.core.batch_rules import Lifecycle
from mock_server.core.contact_rows import ContactRow, new_numbers
from mock_server.core.dispatcher import Overtaken
from mock_server.core.errors import InvalidState, NotFound
from mock_server.core.models import Batch, BatchContact, BatchSettings, PhoneNumber
from mock_server.core.quotas import Usage
from mock_server.services import quota
from mock_server.services.world import World


@dataclass(frozen=True, slots=True)
class UploadResult:
    added: int
    duplicates: int


@dataclass(frozen=True, slots=True)
class _Fresh:
    """The rows a batch would gain: the first of each phone number it does not hold yet."""

    rows: list[ContactRow]
    duplicates: int
    bytes: int  # what they are counted for (core.footprint)

    @classmethod
    def of(cls, rows: Iterable[ContactRow], held_numbers: set[str]) -> _Fresh:
        kept, duplicates = new_numbers(rows, held_numbers)
        return cls(kept, duplicates, sum(footprint.row_bytes(row) for row in kept))


@mypyc_attr(allow_interpreted_subclasses=True)  # Zudu's TaskBatches (compiled: mock_server/native.py)
class Batches:
    def __init__(
        self,
        world: World,
        *,
        lifecycle: Lifecycle = batch_rules.STANDARD,
        namespace: str = "",
    ) -> None:
        self.rt = world
        self.ws = world.workspace
        self.lifecycle = lifecycle
        self.namespace = namespace
        self.batches = world.store.batches(self.ws.id)

    # lookups ---------------------------------------------------------------------------------
    def get(self, batch_id: str) -> Batch:
        """The batch, or 404: another workspace's or another dialect's batch does not exist here."""
        batch = self.batches.get(batch_id)
        if batch is None or batch.namespace != self.namespace:
            raise NotFound("batch_call", batch_id)
        return batch

    def as_of_now(self, batch_id: str) -> Batch:
        """The batch as it is at this instant, the simulated events due by now run first, for a
        command whose answer does not depend on which status it finds (a delete, a provider fault).
        Reads do not run them (a read changes nothing, and is not replayed)."""
        self.rt.run_until(self.rt.now())
        return self.get(batch_id)

    @contextmanager
    def on_time(self, batch: Batch, action: str, allowed: Sequence[str] | None = None) -> Iterator[None]:
        """Around a dispatcher command, which first runs the events due by now: they may move the
        batch on (a call due now that ended at once completes it), and the command is then refused
        as the lifecycle refuses it in the batch's new status (it changed nothing of the batch;
        what the caller changed before, it puts back on `InvalidState`)."""
        try:
            yield
        except Overtaken:
            self.lifecycle.require(batch, action, allowed)
            raise InvalidState(action, batch.status, (), self.lifecycle.refused_with) from None

    def find(self, agent_id: str | None, status: str | None) -> Sequence[Batch]:
        """Newest first; unfiltered, read in place (a page costs its own length)."""
        newest = self.batches.newest(self.namespace)
        if agent_id is None and status is None:
            return newest
        return [
            b
            for b in newest
            if (agent_id is None or b.settings.agent_id == agent_id)
            and (status is None or b.status == status)
        ]

    # creation --------------------------------------------------------------------------------
    def _new_batch(
        self,
        settings: BatchSettings,
        rows: Iterable[ContactRow],
        *,
        id_prefix: str = "batch",
        contact_prefix: str = "ctc",
        attributes: dict[str, Any] | None = None,
    ) -> Batch:
        """A draft batch with `rows` (the first of each phone number), stored if the workspace has
        room for it; nothing is stored, and no id drawn, when it has not."""
        fresh = _Fresh.of(rows, set())
        quota.require_room(
            self.rt,
            Usage(batch_calls=1, contacts=len(fresh.rows), stored_bytes=footprint.BATCH_BYTES + fresh.bytes),
        )
        now = self.rt.now()
        batch = Batch(
            id=self.rt.new_id(id_prefix),
            workspace_id=self.ws.id,
            settings=settings,
            status="draft",
            created_at=now,
            updated_at=now,
            namespace=self.namespace,
            attributes=attributes or {},
        )
        self._append(batch, fresh, contact_prefix)
        self.batches.put(batch.id, batch)
        return batch

    def _add_contacts(
        self, batch: Batch, new: Iterable[ContactRow], contact_prefix: str = "ctc"
    ) -> UploadResult:
        """Append contacts not already in the batch (by phone number), in the order given: all of
        them, or none when the workspace has no room for them."""
        fresh = _Fresh.of(new, {c.phone_number for c in batch.contacts})
        quota.require_room(self.rt, Usage(contacts=len(fresh.rows), stored_bytes=fresh.bytes))
        self._append(batch, fresh, contact_prefix)
        self.batches.put(batch.id, batch)  # grown in place: weighed again
        return UploadResult(len(fresh.rows), fresh.duplicates)

    def _append(self, batch: Batch, fresh: _Fresh, contact_prefix: str) -> None:
        for contact in fresh.rows:
            batch.contacts.append(
                BatchContact(
                    contact_id=contact.contact_id or self.rt.new_id(contact_prefix),
                    phone_number=contact.phone_number,
                    first_name=contact.first_name,
                    last_name=contact.last_name,
                    variables=dict(contact.variables) if contact.variables is not None else None,
                    max_retries=contact.max_retries,
                )
            )
        batch.rows_bytes += fresh.bytes

    # the start ---------------------------------------------------------------------------------
    def _launch(
        self,
        batch: Batch,
        settings: BatchSettings,
        numbers: Sequence[PhoneNumber],
        start_at: float | None,
        now: float,
    ) -> None:
        """Plan the contacts from `start_at` (None: now) and hand the batch to the dispatcher.

        A draft is scheduled; a scheduled batch that has not dialled yet gets its new start.
        The sandbox's provider fault (`/_mock/faults/scheduling`) strikes here, once.
        """
        batch_rules.require_future(start_at, now)
        if self.ws.fail_next_schedule:
            self.ws.fail_next_schedule = False
            self.lifecycle.provider_failed(batch)  # 422 scheduling_failed, unless the batch fails
            batch.settings = settings
            with self.on_time(batch, "schedule"):
                self.rt.dispatcher.fail(batch, now)
            return
        batch.settings = settings
        begin = start_at if start_at is not None else now
        if batch.status == "draft":
            self.rt.dispatcher.schedule(batch, numbers, begin, now)
        else:
            with self.on_time(batch, "schedule"):
                self.rt.dispatcher.replan(batch, now, numbers, start_at=begin)

    # deletion --------------------------------------------------------------------------------
    def delete(self, batch_id: str) -> None:
        """Remove the batch, or stop it and keep it as cancelled, as the lifecycle says."""
        batch = self.as_of_now(batch_id)
        if self.lifecycle.removal(batch) == "remove":
            self.batches.delete(batch.id)
            self.rt.dispatcher.forget(batch.id)
        else:
            self.rt.dispatcher.cancel(batch, self.rt.now())
