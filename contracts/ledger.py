"""What the kit created on the target, how it names it, and how it removes it at the end.

Which operations create what, where an answer names the id, and how each kind is removed are the
profile's (`Resources`, handed in); which requests those operations are comes from the spec.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from contracts.client import ApiClient, AuthHeaders
from contracts.errors import Finding, TargetError
from contracts.exchange import TargetExchange
from contracts.results import CleanupSummary

# (a problem, the status that keeps the resource on the target) for one resource the run created
Remove = Callable[[ApiClient, str], tuple[str | None, str | None]]


@dataclass(frozen=True, slots=True)
class Resources:
    """What a run may create on the target, and how it is removed: a profile's data."""

    creates: Mapping[str, str]  # operationId of a creating operation -> the kind it creates
    created_id: Callable[[Any], Any]  # a creating answer's JSON body -> the id of what it created
    removers: Mapping[str, Remove]  # kind -> how one is removed; other kinds stay on the target
    kept_because: str = ""  # said of what a remover had to leave


def tagged(tag: str, value: str, max_length: int) -> str:
    if value.startswith(tag):
        return value
    return f"{tag} {value}"[:max_length]


def _words(kind: str) -> str:
    return kind.replace("_", " ") + "s"


@dataclass
class Ledger:
    tag: str
    resources: Resources
    auth: AuthHeaders  # how the cleanup's client authenticates
    creating: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (METHOD, path) -> operationId
    created: dict[str, list[str]] = field(default_factory=dict)  # kind -> ids, in creation order
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, kind: str, resource_id: str) -> None:
        with self._lock:
            ids = self.created.setdefault(kind, [])
            if resource_id not in ids:
                ids.append(resource_id)

    def record_response(self, operation_id: str, status: int, body: Any) -> None:
        """A 2xx answer to a creating operation names what it created."""
        kind = self.resources.creates.get(operation_id)
        if kind and 200 <= status < 300:
            created = self.resources.created_id(body)
            if isinstance(created, str):
                self.record(kind, created)

    def record_request(self, method: str, path: str, exchange: TargetExchange) -> None:
        """The same for a request by method and path (the rules suite's), when it is a creating one."""
        operation_id = self.creating.get((method.upper(), path))
        if operation_id is not None:
            self.record_response(operation_id, exchange.status, exchange.body)

    def count(self, kind: str) -> int:
        return len(self.created.get(kind, []))

    def removable(self) -> str:
        """What the cleanup will remove, in words: `3 batch calls`."""
        kinds = list(self.resources.removers)
        return ", ".join(f"{self.count(kind)} {_words(kind)}" for kind in kinds) or "nothing"

    def cleanup(
        self, base_url: str, api_key: str, timeout: float, api_secret: str | None = None
    ) -> CleanupSummary:
        """Remove everything created that the profile can remove; say what stays on the target."""
        summary = CleanupSummary()
        kept: dict[str, list[str]] = {}  # kind -> the status that kept each one
        client = ApiClient(base_url, api_key, timeout, api_secret=api_secret, auth=self.auth)
        try:
            for kind, remove in self.resources.removers.items():
                for resource_id in self.created.get(kind, []):
                    try:
                        problem, kept_as = remove(client, resource_id)
                    except Finding as finding:  # an id that cannot be sent back
                        problem, kept_as = str(finding), None
                    if kept_as:
                        kept.setdefault(kind, []).append(kept_as)
                    elif problem:
                        summary.problems.append(problem)
                    else:
                        summary.deleted += 1
        except TargetError as exc:
            summary.problems.append(f"cleanup stopped: {exc}")
        finally:
            client.close()
        for kind, statuses in kept.items():
            summary.left.append(
                f"{len(statuses)} {_words(kind)} {' or '.join(sorted(set(statuses)))} "
                f"({self.resources.kept_because})"
            )
        for kind in sorted(set(self.created) - set(self.resources.removers)):
            summary.left.append(f"{self.count(kind)} {_words(kind)} (the API has no DELETE for them)")
        return summary
