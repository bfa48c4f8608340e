"""What the kit created on the target, how it names it, and how it removes it at the end."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import httpx

from contracts.dialects import TRUEDY, KitDialect
from contracts.errors import TargetError
from contracts.results import CleanupSummary
from contracts.target import transport_error

# operationId -> the name-like field the kit prefixes with its tag, and that field's maxLength
TAGGED_FIELDS = {
    "create_batch_call": ("name", 255),
    "create_contact_folder": ("name", 255),
    "create_contact": ("last_name", 100),
}
# operationId of a creating operation -> the kind of resource it creates
CREATES = {
    "create_batch_call": "batch_call",
    "create_contact_folder": "contact_folder",
    "create_contact": "contact",
}


def tagged(tag: str, value: str, max_length: int) -> str:
    if value.startswith(tag):
        return value
    return f"{tag} {value}"[:max_length]


@dataclass
class Ledger:
    tag: str
    created: dict[str, list[str]] = field(default_factory=dict)  # kind -> ids, in creation order
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    dialect: KitDialect = TRUEDY

    def record(self, kind: str, resource_id: str) -> None:
        with self._lock:
            ids = self.created.setdefault(kind, [])
            if resource_id not in ids:
                ids.append(resource_id)

    def record_response(self, operation_id: str, status: int, body: Any) -> None:
        """A 2xx answer to a creating operation names what it created."""
        kind = CREATES.get(operation_id)
        data = body.get("data") if isinstance(body, dict) else None
        key = self.dialect.id_field
        if kind and 200 <= status < 300 and isinstance(data, dict) and isinstance(data.get(key), str):
            self.record(kind, data[key])

    def count(self, kind: str) -> int:
        return len(self.created.get(kind, []))

    def cleanup(
        self, base_url: str, api_key: str, timeout: float, api_secret: str | None = None
    ) -> CleanupSummary:
        """Delete every batch call created (Truedy: twice for a running one, the first DELETE cancels
        it; Zudu: a scheduled one is unscheduled first, a sent or failed one cannot be deleted)."""
        summary = CleanupSummary()
        headers = self.dialect.auth_headers(api_key, api_secret)
        undeletable: list[str] = []
        try:
            with httpx.Client(base_url=base_url, headers=headers, timeout=timeout) as client:
                for batch_id in self.created.get("batch_call", []):
                    if self.dialect is TRUEDY:
                        problem = _delete_batch(client, batch_id)
                    else:
                        problem, kept = _delete_zudu_batch(client, self.dialect.item_path(batch_id))
                        if kept:
                            undeletable.append(kept)
                            continue
                    if problem:
                        summary.problems.append(problem)
                    else:
                        summary.deleted += 1
        except TargetError as exc:
            summary.problems.append(f"cleanup stopped: {exc}")
        if undeletable:
            summary.left.append(
                f"{len(undeletable)} batch calls {' or '.join(sorted(set(undeletable)))} (Zudu deletes only "
                "draft or completed batches: delete a sent one once it has completed)"
            )
        for kind, words in (("contact_folder", "contact folders"), ("contact", "contacts")):
            if self.count(kind):
                summary.left.append(f"{self.count(kind)} {words} (the API has no DELETE for them)")
        return summary


def _delete_batch(client: httpx.Client, batch_id: str) -> str | None:
    path = f"/batch-calls/{batch_id}"
    try:
        for _ in range(2):  # a scheduled/active/paused batch is cancelled first, removed second
            answer = client.delete(path)
            if answer.status_code == 404:
                return None
            if answer.status_code != 204:
                return f"DELETE {path} answered {answer.status_code}"
            if client.get(path).status_code == 404:
                return None
    except httpx.HTTPError as exc:
        raise transport_error(exc, str(client.base_url) + path, client.timeout.read or 0) from None
    return f"batch call {batch_id} is still readable after two DELETEs"


def _delete_zudu_batch(client: httpx.Client, path: str) -> tuple[str | None, str | None]:
    """(a problem, the status that keeps the batch on the target)."""
    try:
        for _ in range(2):  # a scheduled batch is moved back to draft first
            answer = client.delete(path)
            if answer.status_code in (200, 204, 404):
                return None, None
            read = client.get(path)
            body = read.json() if read.status_code == 200 else None
            data = body.get("data") if isinstance(body, dict) else None
            status = str(data.get("status", "")).lower() if isinstance(data, dict) else ""
            if status in ("sent", "failed"):
                return None, status
            if status != "scheduled":
                return f"DELETE {path} answered {answer.status_code} (status {status or 'unknown'})", None
            client.patch(path, json={"status": "draft"})
    except httpx.HTTPError as exc:
        raise transport_error(exc, str(client.base_url) + path, client.timeout.read or 0) from None
    except ValueError:
        return f"GET {path} did not answer JSON", None
    return f"batch call {path} could not be deleted", None
