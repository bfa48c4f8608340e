"""What the kit created on the target, how it names it, and how it removes it at the end."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from contracts.client import ApiClient
from contracts.dialects import TRUEDY, KitDialect
from contracts.errors import Finding, TargetError
from contracts.results import CleanupSummary


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
        kind = self.dialect.creates.get(operation_id)
        data = body.get("data") if isinstance(body, dict) else None
        key = self.dialect.id_field
        if kind and 200 <= status < 300 and isinstance(data, dict) and isinstance(data.get(key), str):
            self.record(kind, data[key])

    def count(self, kind: str) -> int:
        return len(self.created.get(kind, []))

    def cleanup(
        self, base_url: str, api_key: str, timeout: float, api_secret: str | None = None
    ) -> CleanupSummary:
        """Delete every batch call created, the dialect's way; say what stays on the target."""
        summary = CleanupSummary()
        undeletable: list[str] = []
        client = ApiClient(base_url, api_key, timeout, api_secret=api_secret, dialect=self.dialect)
        try:
            for batch_id in self.created.get("batch_call", []):
                try:
                    problem, kept = self.dialect.delete_batch(client, batch_id)
                except Finding as finding:  # an id that cannot be sent back
                    problem, kept = str(finding), None
                if kept:
                    undeletable.append(kept)
                elif problem:
                    summary.problems.append(problem)
                else:
                    summary.deleted += 1
        except TargetError as exc:
            summary.problems.append(f"cleanup stopped: {exc}")
        finally:
            client.close()
        if undeletable:
            summary.left.append(
                f"{len(undeletable)} batch calls {' or '.join(sorted(set(undeletable)))} "
                f"({self.dialect.undeletable})"
            )
        for kind in sorted(set(self.created) - {"batch_call"}):
            words = kind.replace("_", " ") + "s"
            summary.left.append(f"{self.count(kind)} {words} (the API has no DELETE for them)")
        return summary
