"""Reads agree with writes: after a write the spec documents, every later read of the same batch
shows what the write answered (issue 24, item 5). One check for every API: what a write, a read and
a delete are, where an answer shows its batches and which fields a client writes are the profile's
(`dialects.base.ReadAfterWrite`); the statuses a batch may have moved on to since are its lifecycle.

`ReadsAfterWrites` is pure and is shown exchanges in the order their requests were sent (a
`sequence`): an answer to a request sent before the write it would contradict is no evidence. The
rules suite feeds it through the client's observers (`RulesObserver`), the proxy through its
observations; each finding names the write and the read.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from contracts.exchange import TargetExchange
from contracts.results import Outcome, Requirement

if TYPE_CHECKING:  # (the proxy's package imports this module: its router is handed in)
    from contracts.dialects.base import KitDialect, ReadAfterWrite
    from contracts.proxy.contract import Contract

REQUIREMENT_TITLE = "Every read of a batch shows what the last write answered (fields, status, deletion)"
MAX_REMEMBERED = 100_000  # batches remembered (the least recently written is forgotten past it)
MAX_ID = 256


def reachable(lifecycle: Mapping[str, frozenset[str]], start: str) -> frozenset[str]:
    """Every status a batch in `start` may be seen in later (snapshots skip steps), itself included."""
    seen = {start}
    todo = [start]
    while todo:
        for following in lifecycle.get(todo.pop(), frozenset()):
            if following not in seen:
                seen.add(following)
                todo.append(following)
    return frozenset(seen)


@dataclass(frozen=True, slots=True)
class _Written:
    sequence: int
    fields: Mapping[str, Any]  # None: deleted
    status: str | None
    where: str  # the write, for the message
    deleted: bool = False


def path_values(template: str, path: str) -> dict[str, str]:
    """The path parameters of `path` under `template` (`/batch-calls/{batch_call_id}`), matched from
    the end (the path may carry a base path before the template)."""
    names, parts = template.strip("/").split("/"), path.split("?", 1)[0].strip("/").split("/")
    if len(parts) < len(names):
        return {}
    tail = parts[len(parts) - len(names):]
    return {n[1:-1]: v for n, v in zip(names, tail, strict=True) if n.startswith("{") and n.endswith("}")}


class ReadsAfterWrites:
    def __init__(self, profile: ReadAfterWrite, lifecycle: Mapping[str, frozenset[str]]) -> None:
        self.profile = profile
        self.lifecycle = {k: reachable(lifecycle, k) for k in lifecycle}
        self.written: OrderedDict[str, _Written] = OrderedDict()
        self.concerned = profile.writes | profile.deletes | profile.reads  # the operations it reads

    def _items(self, body: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
        for item in self.profile.items(body):
            batch_id = item.get(self.profile.id_field)
            if isinstance(batch_id, str) and len(batch_id) <= MAX_ID:
                yield batch_id, item

    def _remember(self, batch_id: str, written: _Written) -> None:
        self.written[batch_id] = written
        self.written.move_to_end(batch_id)
        if len(self.written) > MAX_REMEMBERED:
            self.written.popitem(last=False)

    def observe(
        self, sequence: int, operation_id: str, template: str, path: str, status: int, body: Any
    ) -> list[str]:
        """What this exchange contradicts of the writes before it (each a sentence)."""
        profile = self.profile
        label = f"{operation_id} {path} → {status}"
        path_id = path_values(template, path).get(profile.path_id)
        if operation_id in profile.writes and 200 <= status < 300:
            shown = dict(self._items(body))
            for batch_id, item in shown.items():
                fields = {k: item[k] for k in profile.fields if k in item}
                state = item.get("status")
                self._remember(batch_id, _Written(sequence, fields, state if isinstance(state, str) else None,
                                                  label))
            if path_id is not None and path_id not in shown:
                self.written.pop(path_id, None)  # changed, and the answer does not say how
            return []
        if operation_id in profile.deletes and 200 <= status < 300 and path_id is not None:
            before = self.written.get(path_id)
            if before is not None and before.status in profile.deleted_from:
                self._remember(path_id, _Written(sequence, {}, None, label, deleted=True))
            else:
                self.written.pop(path_id, None)
            return []
        if operation_id in profile.reads:
            return self._read(sequence, label, status, body)
        return []

    def _read(self, sequence: int, label: str, status: int, body: Any) -> list[str]:
        problems: list[str] = []
        if not 200 <= status < 300:
            return problems
        for batch_id, item in self._items(body):
            written = self.written.get(batch_id)
            if written is None or sequence < written.sequence:
                continue
            if written.deleted:
                problems.append(f"batch {batch_id!r} was deleted ({written.where}) and then read ({label})")
                continue
            differ = {k: (v, item.get(k)) for k, v in written.fields.items() if k in item and item[k] != v}
            shown = item.get("status")
            allowed = self.lifecycle.get(written.status or "", frozenset({written.status}))
            if written.status is not None and isinstance(shown, str) and shown not in allowed:
                differ["status"] = (written.status, shown)
            if differ:
                said = ", ".join(f"{k}: {old!r} then {new!r}" for k, (old, new) in differ.items())
                problems.append(f"batch {batch_id!r} read ({label}) does not show what the write answered "
                                f"({written.where}): {said}")
        return problems


class ExchangeObserver:
    """The check on every exchange of a client (the rules suite's): routes it to its operation and
    keeps one requirement, `<suite>/read_after_write`."""

    def __init__(self, router: Contract, dialect: KitDialect, suite: str) -> None:
        self.router = router  # the spec's operations by method and path
        self.requirement = Requirement(f"{suite}/read_after_write", suite, REQUIREMENT_TITLE)
        profile = dialect.read_after_write
        self.memory = ReadsAfterWrites(profile, dialect.lifecycle) if profile is not None else None
        self.sequence = 0

    def __call__(self, exchange: TargetExchange) -> None:
        operation = self.router.operation(exchange.method, exchange.path.split("?", 1)[0])
        if self.memory is None or operation is None or operation.operation_id not in self.memory.concerned:
            return
        self.sequence += 1
        found = self.memory.observe(
            self.sequence, operation.operation_id, operation.template, exchange.path, exchange.status,
            exchange.body,
        )
        self.requirement.checked += 1
        for problem in found:
            self.requirement.fail(problem, [exchange.curl] if exchange.curl else [], Outcome.FAILED)
