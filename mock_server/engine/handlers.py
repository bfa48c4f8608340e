"""Handlers registered for their operations: one table per API, filled by a decorator on
module-level functions, checked against the spec at start-up.

    HANDLERS = HandlerTable("truedy")

    @HANDLERS.operation("get_batch_call")
    def get_batch_call(ctx: Context) -> Reply: ...

A handler reaches what its API holds (its base URL, caches, the sandbox) through `ctx.dialect`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from mock_server.engine.context import Handler
from mock_server.engine.spec import Spec

H = TypeVar("H", bound=Callable[..., object])


class HandlerTable:
    def __init__(self, api: str) -> None:
        self.api = api
        self._by_id: dict[str, Handler] = {}

    def operation(self, operation_id: str) -> Callable[[H], H]:
        """Register the decorated function as the handler of `operation_id`."""

        def register(handler: H) -> H:
            if operation_id in self._by_id:
                raise ValueError(f"{self.api}: two handlers for {operation_id}")
            self._by_id[operation_id] = handler  # type: ignore[assignment]
            return handler

        return register

    def for_spec(self, spec: Spec) -> Mapping[str, Handler]:
        """The handler of every operation of `spec`; the server refuses to start (ValueError) while
        an operation has none."""
        operations = {op.operation_id for op in spec.operations}
        missing = operations - set(self._by_id)
        if missing:
            raise ValueError(f"the {self.api} spec has operations with no handler: {sorted(missing)}")
        return {operation_id: self._by_id[operation_id] for operation_id in operations}
