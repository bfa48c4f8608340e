"""What a run exercised of the spec: its operations, the statuses each documents, and the 422
error codes each documents (those its description names among the spec's `x-error-codes`).

`CoverageRecorder` is shown every answer the run gets (the fuzzers' through the runner's hook, the
rules suite's through the client's observers); `results.Coverage` is what the reports render.
Pure: no I/O.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from contracts.exchange import TargetExchange
from contracts.proxy.contract import Contract
from contracts.results import Coverage, OperationCoverage
from contracts.spec import OperationInfo, named_error_codes, operations

BUSINESS_STATUS = 422


class CoverageRecorder:
    def __init__(
        self,
        document: Mapping[str, Any],
        selected: list[OperationInfo] | None = None,
        router: Contract | None = None,
    ) -> None:
        self._router = router or Contract(document)  # the spec's operations by method and path
        self._ops = operations(document) if selected is None else selected
        self._statuses = {
            op.operation_id: frozenset(
                str(s) for s in (document["paths"][op.path][op.method.lower()].get("responses") or {})
                if str(s).isdigit()
            )
            for op in self._ops
        }
        self._codes = named_error_codes(document, BUSINESS_STATUS)
        self._seen: dict[str, set[str]] = {}  # operationId -> statuses answered
        self._codes_seen: dict[str, set[str]] = {}
        self._lock = threading.Lock()  # the fuzzers' hook may run on their worker threads

    def record(self, operation_id: str, status: int, body: Any) -> None:
        with self._lock:
            self._seen.setdefault(operation_id, set()).add(str(status))
            if status == BUSINESS_STATUS:
                error = body.get("error") if isinstance(body, dict) else None
                code = error.get("code") if isinstance(error, dict) else None
                if isinstance(code, str) and code in self._codes.get(operation_id, frozenset()):
                    self._codes_seen.setdefault(operation_id, set()).add(code)

    def observe(self, exchange: TargetExchange) -> None:
        """An answer the rules suite got (its path relative to the base URL)."""
        operation = self._router.operation(exchange.method, exchange.path.split("?", 1)[0])
        if operation is not None:  # (only a 422's body is read: its error code)
            body = exchange.body if exchange.status == BUSINESS_STATUS else None
            self.record(operation.operation_id, exchange.status, body)

    def coverage(self) -> Coverage:
        with self._lock:
            return Coverage(tuple(
                OperationCoverage(
                    op.operation_id,
                    op.label,
                    tuple(sorted(self._statuses[op.operation_id])),
                    tuple(sorted(self._statuses[op.operation_id] & self._seen.get(op.operation_id, set()))),
                    tuple(sorted(self._codes.get(op.operation_id, frozenset()))),
                    tuple(sorted(self._codes_seen.get(op.operation_id, set()))),
                    op.operation_id in self._seen,
                )
                for op in self._ops
            ))
