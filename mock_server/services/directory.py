"""Sandbox resources around the batches: agents, numbers, contact folders and contacts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mock_server.core import footprint
from mock_server.core.contact_rows import ContactRow, new_numbers
from mock_server.core.errors import NotFound
from mock_server.core.models import Agent, Contact, Folder, PhoneNumber
from mock_server.core.quotas import Usage
from mock_server.services import quota
from mock_server.services.world import World


@dataclass(frozen=True, slots=True)
class ImportResult:
    folder_id: str | None
    contact_ids: list[str]
    duplicates: int


class Directory:
    def __init__(self, world: World) -> None:
        self.rt = world
        self.ws = world.workspace
        self.store = world.store

    def agents(self) -> list[Agent]:
        return list(self.store.agents(self.ws.id).values())

    def agent(self, agent_id: str) -> Agent:
        agent = self.store.agents(self.ws.id).get(agent_id)
        if agent is None:
            raise NotFound("agent", agent_id)
        return agent

    def numbers(self, agent_id: str | None) -> list[PhoneNumber]:
        return [
            n for n in self.store.numbers(self.ws.id).values() if agent_id is None or n.agent_id == agent_id
        ]

    def folders(self) -> list[Folder]:
        return list(self.store.folders(self.ws.id).values())

    def folder(self, folder_id: str) -> Folder:
        folder = self.store.folders(self.ws.id).get(folder_id)
        if folder is None:
            raise NotFound("contact_folder", folder_id)
        return folder

    def folder_size(self, folder_id: str) -> int:
        return sum(1 for c in self.store.contacts(self.ws.id).values() if c.folder_id == folder_id)

    def create_folder(self, name: str, description: str | None) -> Folder:
        quota.require_room(
            self.rt, Usage(contact_folders=1, stored_bytes=footprint.folder_bytes(name, description))
        )
        folder = Folder(self.rt.new_id("folder"), name, description, self.rt.now())
        self.store.folders(self.ws.id).put(folder.id, folder)
        return folder

    def contacts(self, folder_id: str | None) -> list[Contact]:
        if folder_id is not None:
            self.folder(folder_id)
        return [
            c
            for c in self.store.contacts(self.ws.id).values()
            if folder_id is None or c.folder_id == folder_id
        ]

    def contact(self, contact_id: str) -> Contact:
        contact = self.store.contacts(self.ws.id).get(contact_id)
        if contact is None:
            raise NotFound("contact", contact_id)
        return contact

    def create_contact(self, fields: ContactRow, folder_id: str | None) -> Contact:
        if folder_id is not None:
            self.folder(folder_id)
        quota.require_room(self.rt, Usage(contacts=1, stored_bytes=footprint.contact_bytes(fields)))
        return self._store_contact(fields, folder_id)

    def import_contacts(self, rows: Sequence[ContactRow], folder_id: str | None) -> ImportResult:
        """Add rows as contacts, all of them or none (when the workspace has no room for them); a
        number already in the target folder is a duplicate."""
        existing = {c.phone_number for c in self.contacts(folder_id)} if folder_id else set()
        kept, duplicates = new_numbers(rows, existing)
        adding = Usage(contacts=len(kept), stored_bytes=sum(footprint.contact_bytes(row) for row in kept))
        quota.require_room(self.rt, adding)
        created = [self._store_contact(row, folder_id).id for row in kept]
        return ImportResult(folder_id, created, duplicates)

    def _store_contact(self, fields: ContactRow, folder_id: str | None) -> Contact:
        contact = Contact(
            id=self.rt.new_id("ctc"),
            phone_number=fields.phone_number,
            first_name=fields.first_name,
            last_name=fields.last_name,
            email=fields.email,
            folder_id=folder_id,
            created_at=self.rt.now(),
        )
        self.store.contacts(self.ws.id).put(contact.id, contact)
        return contact
