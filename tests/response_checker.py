"""Does a response honour the spec? Used by the tests on every answer the mock gives."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonschema_rs

from mock_server.engine.router import PathTable
from mock_server.engine.spec import Operation, Spec, compile_schema


class ResponseChecker:
    def __init__(self, spec: Spec, mount: str = "") -> None:
        self.spec = spec
        # the router's own matching, so a checked path resolves exactly as a served one
        self._paths = PathTable(
            mount + spec.base_path,
            {path: {op.method: op for op in ops} for path, ops in spec.paths().items()},
        )
        self._validators: dict[int, jsonschema_rs.Validator] = {}

    def operation(self, method: str, path: str) -> Operation | None:
        found = self._paths.lookup(path)
        return found[0].get(method.upper()) if found is not None else None

    def _validator(self, schema: Mapping[str, Any]) -> jsonschema_rs.Validator:
        key = id(schema)
        if key not in self._validators:
            self._validators[key] = compile_schema(schema)
        return self._validators[key]

    def problems(
        self, method: str, path: str, status: int, headers: Mapping[str, str], body: Any
    ) -> list[str]:
        """Every way the response breaks the contract; empty when it conforms."""
        found: list[str] = []
        if "x-request-id" not in {k.lower() for k in headers}:
            found.append("no X-Request-Id header")
        op = self.operation(method, path)
        if op is None:
            return found  # not an operation of the spec (unknown path, control API)
        response = op.response_for(status)
        if response is None:
            return [*found, f"{op.operation_id} does not document status {status}"]
        lowered = {k.lower(): v for k, v in headers.items()}
        for name, header in response.headers.items():
            if header.get("required") and name.lower() not in lowered:
                found.append(f"{op.operation_id} {status}: header {name} is missing")
        media_type = lowered.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json" and media_type in response.content:
            return found  # a documented text answer (a page, a report): its text is not JSON
        media = response.content.get("application/json")
        if media is None:
            if body not in (None, b"", ""):
                found.append(f"{op.operation_id} {status}: a body where none is documented")
            return found
        schema = media.get("schema", {})
        for error in self._validator(schema).iter_errors(body):
            found.append(
                f"{op.operation_id} {status}: {'/'.join(map(str, error.instance_path))}: {error.message}"
            )
        if isinstance(body, dict):
            meta = body.get("meta")
            if isinstance(meta, dict) and meta.get("request_id") != lowered.get("x-request-id"):
                found.append(f"{op.operation_id} {status}: meta.request_id differs from X-Request-Id")
        return found
