"""Handlers of the sandbox resources: agents, telephony numbers, contacts and contact folders."""

from __future__ import annotations

from typing import Any

from mock_server.core.contact_rows import ContactRow, rows_from_csv
from mock_server.core.models import Folder
from mock_server.dialects.truedy import wire
from mock_server.dialects.truedy.envelopes import page, single
from mock_server.engine.context import Handler, Reply, RequestContext
from mock_server.services.directory import Directory
from mock_server.services.world import World

Context = RequestContext[World]


def handlers(base_path: str) -> dict[str, Handler]:
    def directory(ctx: Context) -> Directory:
        return Directory(ctx.world)

    def answer(ctx: Context, data: Any, status: int = 200, **headers: str) -> Reply:
        return single(data, ctx.request_id, ctx.world.now(), status, headers or None)

    def listing(ctx: Context, items: list[Any], render: Any) -> Reply:
        return page(items, render, ctx.params, ctx.request_id, ctx.world.now())

    def folder_json(ctx: Context, folder: Folder) -> dict[str, Any]:
        return wire.folder(folder, directory(ctx).folder_size(folder.id))

    def list_agents(ctx: Context) -> Reply:
        return listing(ctx, directory(ctx).agents(), wire.agent)

    def get_agent(ctx: Context) -> Reply:
        return answer(ctx, wire.agent(directory(ctx).agent(ctx.params["agent_id"])))

    def list_phone_numbers(ctx: Context) -> Reply:
        return listing(ctx, directory(ctx).numbers(ctx.params.get("agent_id")), wire.phone_number)

    def list_contacts(ctx: Context) -> Reply:
        return listing(ctx, directory(ctx).contacts(ctx.params.get("folder_id")), wire.contact)

    def create_contact(ctx: Context) -> Reply:
        body = ctx.body
        fields = ContactRow(
            body["phone_number"], body.get("first_name"), body.get("last_name"), body.get("email")
        )
        created = directory(ctx).create_contact(fields, body.get("folder_id"))
        return answer(ctx, wire.contact(created), 201, Location=f"{base_path}/contacts/{created.id}")

    def get_contact(ctx: Context) -> Reply:
        return answer(ctx, wire.contact(directory(ctx).contact(ctx.params["contact_id"])))

    def list_contact_folders(ctx: Context) -> Reply:
        return listing(ctx, directory(ctx).folders(), lambda f: folder_json(ctx, f))

    def create_contact_folder(ctx: Context) -> Reply:
        created = directory(ctx).create_folder(ctx.body["name"], ctx.body.get("description"))
        return answer(
            ctx, folder_json(ctx, created), 201, Location=f"{base_path}/contacts/folders/{created.id}"
        )

    def get_contact_folder(ctx: Context) -> Reply:
        return answer(ctx, folder_json(ctx, directory(ctx).folder(ctx.params["folder_id"])))

    def import_contacts(ctx: Context) -> Reply:
        folder_id = ctx.params.get("folder_id")
        if folder_id is not None:
            directory(ctx).folder(folder_id)
        result = directory(ctx).import_contacts(rows_from_csv(ctx.body or ""), folder_id)
        return answer(
            ctx,
            {
                "folder_id": result.folder_id,
                "imported": len(result.contact_ids),
                "duplicates": result.duplicates,
                "contact_ids": result.contact_ids,
            },
        )

    return {
        "list_agents": list_agents,
        "get_agent": get_agent,
        "list_phone_numbers": list_phone_numbers,
        "list_contacts": list_contacts,
        "create_contact": create_contact,
        "get_contact": get_contact,
        "list_contact_folders": list_contact_folders,
        "create_contact_folder": create_contact_folder,
        "get_contact_folder": get_contact_folder,
        "import_contacts": import_contacts,
    }
