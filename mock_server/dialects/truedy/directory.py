"""Handlers of the sandbox resources: agents, telephony numbers, contacts and contact folders."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

from mock_server.core.contact_rows import ContactRow, rows_from_csv
from mock_server.core.models import Folder
from mock_server.dialects.truedy import wire
from mock_server.dialects.truedy.envelopes import answer, page
from mock_server.dialects.truedy.operations import operation
from mock_server.engine.context import Reply, RequestContext
from mock_server.services.directory import Directory
from mock_server.services.world import World

if TYPE_CHECKING:
    from mock_server.dialects.truedy.dialect import TruedyDialect

Context: TypeAlias = RequestContext[World, "TruedyDialect"]


def _directory(ctx: Context) -> Directory:
    return Directory(ctx.world)


def _listing(ctx: Context, items: list[Any], render: Callable[[Any], Any]) -> Reply:
    return page(items, render, ctx.params, ctx.request_id, ctx.world.now())


def _folder_json(ctx: Context, folder: Folder) -> dict[str, Any]:
    return wire.folder(folder, _directory(ctx).folder_size(folder.id))


@operation("list_agents")
def list_agents(ctx: Context) -> Reply:
    return _listing(ctx, _directory(ctx).agents(), wire.agent)


@operation("get_agent")
def get_agent(ctx: Context) -> Reply:
    return answer(ctx, wire.agent(_directory(ctx).agent(ctx.params["agent_id"])))


@operation("list_phone_numbers")
def list_phone_numbers(ctx: Context) -> Reply:
    return _listing(ctx, _directory(ctx).numbers(ctx.params.get("agent_id")), wire.phone_number)


@operation("list_contacts")
def list_contacts(ctx: Context) -> Reply:
    return _listing(ctx, _directory(ctx).contacts(ctx.params.get("folder_id")), wire.contact)


@operation("create_contact")
def create_contact(ctx: Context) -> Reply:
    body = ctx.body
    fields = ContactRow(
        body["phone_number"], body.get("first_name"), body.get("last_name"), body.get("email")
    )
    created = _directory(ctx).create_contact(fields, body.get("folder_id"))
    location = f"{ctx.dialect.base_url}/contacts/{created.id}"
    return answer(ctx, wire.contact(created), 201, Location=location)


@operation("get_contact")
def get_contact(ctx: Context) -> Reply:
    return answer(ctx, wire.contact(_directory(ctx).contact(ctx.params["contact_id"])))


@operation("list_contact_folders")
def list_contact_folders(ctx: Context) -> Reply:
    return _listing(ctx, _directory(ctx).folders(), lambda f: _folder_json(ctx, f))


@operation("create_contact_folder")
def create_contact_folder(ctx: Context) -> Reply:
    created = _directory(ctx).create_folder(ctx.body["name"], ctx.body.get("description"))
    location = f"{ctx.dialect.base_url}/contacts/folders/{created.id}"
    return answer(ctx, _folder_json(ctx, created), 201, Location=location)


@operation("get_contact_folder")
def get_contact_folder(ctx: Context) -> Reply:
    return answer(ctx, _folder_json(ctx, _directory(ctx).folder(ctx.params["folder_id"])))


@operation("import_contacts")
def import_contacts(ctx: Context) -> Reply:
    folder_id = ctx.params.get("folder_id")
    if folder_id is not None:
        _directory(ctx).folder(folder_id)
    result = _directory(ctx).import_contacts(rows_from_csv(ctx.body or "", ctx.dialect.csv_row), folder_id)
    return answer(
        ctx,
        {
            "folder_id": result.folder_id,
            "imported": len(result.contact_ids),
            "duplicates": result.duplicates,
            "contact_ids": result.contact_ids,
        },
    )
