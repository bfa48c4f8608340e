"""Per-workspace quotas on what the public APIs store: batch calls, contact rows, contact folders and
the bytes they hold. A request that would take a workspace past any of them is refused whole
(`QuotaExceeded`, 409) before anything is stored; deleting gives the room back. Pure: values in,
an error out."""

from __future__ import annotations

from dataclasses import dataclass, fields

from mock_server.core.errors import QuotaExceeded

MIB = 1_048_576


@dataclass(frozen=True, slots=True)
class Usage:
    """What a workspace holds, or what a request would add to it."""

    batch_calls: int = 0  # both APIs' batches (Truedy's batch calls, Zudu's task batches)
    contacts: int = 0  # rows: every batch's contacts and tasks, and the directory's contacts
    contact_folders: int = 0
    stored_bytes: int = 0  # what all of the above hold, as core.footprint counts it


@dataclass(frozen=True, slots=True)
class Quotas:
    """The most a workspace may hold of each (the `--max-…` flags)."""

    batch_calls: int = 1_000
    contacts: int = 50_000
    contact_folders: int = 1_000
    stored_bytes: int = 64 * MIB


# each quota as an error message names what it counts
_WHAT = {
    "batch_calls": "batch calls (both APIs' together)",
    "contacts": "contact rows (in batch calls, tasks and the contact directory)",
    "contact_folders": "contact folders",
    "stored_bytes": "bytes of batch calls, contacts and folders",
}


def require_room(quotas: Quotas, held: Usage, adding: Usage) -> None:
    """Raise `QuotaExceeded` for the first quota that `held` plus `adding` would pass."""
    for item in fields(Usage):
        name = item.name
        requested = getattr(adding, name)
        in_use, limit = getattr(held, name), getattr(quotas, name)
        if requested and in_use + requested > limit:
            raise QuotaExceeded(name, _WHAT[name], limit, in_use, requested)
