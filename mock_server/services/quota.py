"""What a workspace holds against its quotas, read from the store, and the check every creating use
case makes before it stores anything."""

from __future__ import annotations

from mock_server.core import quotas
from mock_server.core.quotas import Usage
from mock_server.services.world import World
from mock_server.store.base import Store


def held(store: Store, workspace_id: str) -> Usage:
    """Read from the running sums the store keeps: constant time, however much the workspace holds."""
    batches = store.batches(workspace_id)
    directory = store.contacts(workspace_id)
    folders = store.folders(workspace_id)
    return Usage(
        batch_calls=len(batches),
        contacts=batches.held_rows() + len(directory),
        contact_folders=len(folders),
        stored_bytes=batches.held_bytes() + directory.held_bytes() + folders.held_bytes(),
    )


def require_room(world: World, adding: Usage) -> None:
    """Refuse (409 `quota_exceeded`) a request that would take the workspace past a quota."""
    quotas.require_room(world.quotas, held(world.store, world.workspace.id), adding)
