"""What an operation acts on, as its spec declares it (extension fields read once at start-up).

- `x-scope`: `open` (anyone; no world), `world` (the world of the request's credentials: every
  operation of a public API), `liveness` (a world's, also answered without any credentials under an
  admin token: the health check), `sandbox` (the whole sandbox: creating, listing, deleting
  workspaces), `everything` (the whole sandbox, replaced: a reset of everything). An operation on the
  whole sandbox is in no tenant's request journal, and a shared store serves it on the sandbox's own
  stream (`everything` alone in its process).
- `x-scope-by-query`: `{parameter: {value: scope}}`, a query value that gives a request another
  scope (`POST /_mock/reset?scope=all` is `everything`).
- `x-removes-workspace`: the path parameter naming the workspace the operation removes (a shared
  store forgets its stream).
- `x-workspace`: the path parameter naming the workspace a sandbox-wide operation reads (an admin
  reading any workspace's journal): a shared store serves it on that workspace's stream.
- `x-journal`: what it does with the world's request journal: `reads` (its answer is made from it:
  a shared store reads every instance's entries first), `own` (the journal's own reads: not
  journaled themselves, or a console polling them would fill it), `clears` (as `own`, and emptied).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from mock_server.engine.incoming import query_of
from mock_server.engine.router import PathTable
from mock_server.engine.spec import Operation, Spec

Scope = Literal["open", "world", "liveness", "sandbox", "everything"]
JournalUse = Literal["kept", "reads", "own", "clears"]
SCOPES: tuple[Scope, ...] = ("open", "world", "liveness", "sandbox", "everything")
JOURNAL_USES: tuple[JournalUse, ...] = ("kept", "reads", "own", "clears")


@dataclass(frozen=True, slots=True)
class RequestScope:
    """What a request is to whoever keeps a record of it (the journal, a shared store)."""

    operation_id: str | None  # None: no operation of the spec (a 404, a 405)
    scope: Scope = "world"
    removed_workspace: str | None = None  # the id `x-removes-workspace` names in its path
    journal: JournalUse = "kept"
    workspace: str | None = None  # the id `x-workspace` names in its path

    @property
    def sandbox_wide(self) -> bool:
        return self.scope in ("sandbox", "everything")

    @property
    def journaled(self) -> bool:
        """Whether it goes into its world's request journal."""
        return not self.sandbox_wide and self.journal in ("kept", "reads")


NO_OPERATION = RequestScope(None)


@dataclass(frozen=True, slots=True)
class OperationScope:
    operation_id: str
    scope: Scope
    by_query: Mapping[str, Mapping[str, Scope]]
    removes_workspace: str | None
    journal: JournalUse
    workspace: str | None = None  # the path parameter `x-workspace` names

    def of(self, query: bytes, path_params: Mapping[str, str]) -> RequestScope:
        scope = self.scope
        if self.by_query and query:
            given = query_of(query)  # read as the engine reads a query
            for name, values in self.by_query.items():
                scope = values.get(given.get(name, ""), scope)
        removed = path_params.get(self.removes_workspace) if self.removes_workspace else None
        named = path_params.get(self.workspace) if self.workspace else None
        return RequestScope(self.operation_id, scope, removed or None, self.journal, named or None)


def operation_scope(spec: Spec, operation: Operation) -> OperationScope:
    """An operation's scope from its extension fields; `world` when it declares none. A value not
    in the lists above stops the start-up (the document is wrong, not the request)."""
    raw: Mapping[str, Any] = spec.document["paths"][operation.path][operation.method.lower()]
    scope = _one_of(raw.get("x-scope", "world"), SCOPES, operation, "x-scope")
    by_query = {
        str(name): {str(value): _one_of(target, SCOPES, operation, "x-scope-by-query")
                    for value, target in values.items()}
        for name, values in raw.get("x-scope-by-query", {}).items()
    }
    journal = _one_of(raw.get("x-journal", "kept"), JOURNAL_USES, operation, "x-journal")
    removes, named = raw.get("x-removes-workspace"), raw.get("x-workspace")
    return OperationScope(operation.operation_id, scope, by_query, str(removes) if removes else None, journal,
                          str(named) if named else None)


def _one_of(value: Any, allowed: tuple[str, ...], operation: Operation, field: str) -> Any:
    if value not in allowed:
        raise ValueError(f"{operation.operation_id}: {field} is {value!r}, not one of {', '.join(allowed)}")
    return value


class ScopeTable:
    """The scopes of a spec's operations, and of a request by its method and path (matched as the
    router matches them)."""

    def __init__(self, spec: Spec, mount: str = "") -> None:
        self.by_id = {op.operation_id: operation_scope(spec, op) for op in spec.operations}
        by_path = {path: {op.method: self.by_id[op.operation_id] for op in ops}
                   for path, ops in spec.paths().items()}
        self._paths = PathTable(mount + spec.base_path, by_path)

    def of(self, operation_id: str) -> Scope:
        return self.by_id[operation_id].scope

    def classify(self, method: str, path: str, query: bytes) -> RequestScope:
        """`path` as sent (percent-encoded) or decoded alike, for a path without `%2F`."""
        found = self._paths.lookup(path)
        if found is None:
            return NO_OPERATION
        operations, params = found
        operation = operations.get("GET" if method == "HEAD" else method)
        return NO_OPERATION if operation is None else operation.of(query, params)

