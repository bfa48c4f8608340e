"""What a workspace holds against its quotas, read from the store, and the check every creating use
case makes before it stores anything."""

from __future__ import annotations

from mock_server.core import footprint, quotas
from mock_server.core.quotas import Usage
from mock_server.services.world import World
from mock_server.store.base import Store


def held(store: Store, workspace_id: str) -> Usage:
    """Counted from the batches (at most `--max-batches` of them) and the directory's running sums:
    linear in the batches, never in the rows."""
    batches = list(store.batches(workspace_id).values())
    directory = store.contacts(workspace_id)
    folders = store.folders(workspace_id)
    return Usage(
        batch_calls=len(batches),
        contacts=sum(len(b.contacts) for b in batches) + len(directory),
        contact_folders=len(folders),
        stored_bytes=sum(footprint.batch_bytes(b) for b in batches)
        + directory.held_bytes()
        + folders.held_bytes(),
    )


def require_room(world: World, adding: Usage) -> None:
    """Refuse (409 `quota_exceeded`) a request that would take the workspace past a quota."""
    quotas.require_room(world.quotas, held(world.store, world.workspace.id), adding)
