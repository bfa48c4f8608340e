"""The spec as the proxy checks exchanges against it: which operation a request is, and whether a
request or a response body matches the schema the spec documents for it. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jsonschema_rs
import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from contracts import redaction
from contracts.spec import HTTP_METHODS

SPEC_URI = "urn:batchcalls:spec"
JSON_MEDIA = "application/json"
MAX_SHOWN = 400  # characters of the offending part of a body shown in a finding


@dataclass(frozen=True, slots=True)
class Operation:
    operation_id: str
    method: str
    template: str  # the spec's path, e.g. /batch-calls/{batch_call_id}
    pointer: str  # JSON pointer of the operation in the spec


@dataclass(frozen=True, slots=True)
class SchemaProblem:
    message: str  # what is wrong, where in the body
    checked: str  # what was checked: the schema's place in the spec
    offending: str  # the offending part of the body, as JSON text (cut at MAX_SHOWN)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _compile(template: str) -> re.Pattern[str]:
    parts = [
        "[^/]+" if part.startswith("{") and part.endswith("}") else re.escape(part)
        for part in template.split("/")
    ]
    return re.compile("^" + "/".join(parts) + "$")


class Contract:
    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        resource: Resource[Any] = DRAFT202012.create_resource(dict(document))
        self.registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
        servers = document.get("servers") or [{"url": "/"}]
        self.base_path = urlsplit(str(servers[0].get("url", "/"))).path.rstrip("/")
        table: list[tuple[int, re.Pattern[str], Operation]] = []
        for path, item in (document.get("paths") or {}).items():
            for method, op in item.items():
                if method in HTTP_METHODS and isinstance(op, dict) and "operationId" in op:
                    operation = Operation(
                        op["operationId"], method.upper(), path, f"/paths/{_escape(path)}/{method}"
                    )
                    table.append((path.count("{"), _compile(path), operation))
        self.table = sorted(table, key=lambda row: row[0])  # literal segments before templated ones
        self._validators: dict[str, Draft202012Validator] = {}
        self._pointers: dict[int, str] = {}
        self._fast: dict[str, Any] = {}  # pointer -> jsonschema_rs validator
        self._dereferenced: Any = None

    def operation(self, method: str, path: str) -> Operation | None:
        """The operation a request is, under the spec's base path or at the root."""
        prefixes = [self.base_path, ""] if self.base_path else [""]
        for prefix in prefixes:
            if prefix and not path.startswith(prefix + "/"):
                continue
            rest = path[len(prefix) :] if prefix else path
            for _, pattern, operation in self.table:
                if operation.method == method.upper() and pattern.match(rest):
                    return operation
        return None

    def _at(self, pointer: str) -> Any:
        node: Any = self.document
        for token in pointer.lstrip("/").split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
        return node

    def _follow(self, pointer: str) -> str:
        """The pointer of the object a `$ref` at `pointer` names (itself when it is no reference)."""
        node = self._at(pointer)
        while isinstance(node, dict) and str(node.get("$ref", "")).startswith("#/"):
            pointer = node["$ref"][1:]
            node = self._at(pointer)
        return pointer

    def response_pointer(self, operation: Operation, status: int) -> str | None:
        """The documented response for `status` (exact, then 4XX-style, then default); None: undocumented."""
        responses = self._at(operation.pointer).get("responses") or {}
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key in responses:
                return self._follow(f"{operation.pointer}/responses/{_escape(key)}")
        return None

    def documented_statuses(self, operation: Operation) -> list[str]:
        return list((self._at(operation.pointer).get("responses") or {}).keys())

    def response_problems(self, operation: Operation, status: int, body: Any) -> list[SchemaProblem]:
        pointer = self.response_pointer(operation, status)
        if pointer is None:
            return []
        content = self._at(pointer).get("content") or {}
        if JSON_MEDIA not in content or "schema" not in content[JSON_MEDIA]:
            return []
        return self._problems(f"{pointer}/content/{_escape(JSON_MEDIA)}/schema", body)

    def request_problems(self, operation: Operation, body: Any) -> list[SchemaProblem]:
        op = self._at(operation.pointer)
        if "requestBody" not in op:
            return []
        pointer = self._follow(f"{operation.pointer}/requestBody")
        content = self._at(pointer).get("content") or {}
        if JSON_MEDIA not in content or "schema" not in content[JSON_MEDIA]:
            return []
        return self._problems(f"{pointer}/content/{_escape(JSON_MEDIA)}/schema", body)

    def _problems(self, pointer: str, body: Any) -> list[SchemaProblem]:
        # the common case, a valid body, is decided by jsonschema-rs (~20x faster: the proxy checks
        # every exchange); only an invalid one is explained by jsonschema, which says where each
        # failing keyword is in the spec
        fast = self._fast.get(pointer)
        if fast is None:
            if self._dereferenced is None:
                self._dereferenced = jsonschema_rs.dereference(dict(self.document))
            node: Any = self._dereferenced
            for token in pointer.lstrip("/").split("/"):
                node = node[token.replace("~1", "/").replace("~0", "~")]
            fast = self._fast[pointer] = jsonschema_rs.Draft202012Validator(node)
        if fast.is_valid(body):
            return []
        validator = self._validators.get(pointer)
        if validator is None:
            schema = {"$ref": f"{SPEC_URI}#{pointer}"}
            validator = self._validators[pointer] = Draft202012Validator(schema, registry=self.registry)
        problems = []
        for error in sorted(validator.iter_errors(body), key=lambda e: list(e.path))[:5]:
            problems.append(_describe(error, self._schema_of(pointer, error)))
        return problems

    def _schema_of(self, pointer: str, error: ValidationError) -> str:
        """`#/components/schemas/X (keyword)`: where in the spec the failing (sub)schema is."""
        if not self._pointers:
            self._pointers = dict(_walk(self.document, ""))
        where = self._pointers.get(id(error.schema), pointer) if isinstance(error.schema, dict) else pointer
        return f"#{where} ({error.validator})"


def _walk(node: Any, pointer: str) -> Iterator[tuple[int, str]]:
    """(id, JSON pointer) of every object in the spec (the validators resolve to these objects)."""
    if isinstance(node, dict):
        yield id(node), pointer
        for key, value in node.items():
            yield from _walk(value, f"{pointer}/{_escape(str(key))}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{pointer}/{index}")


def _describe(error: ValidationError, checked: str) -> SchemaProblem:
    where = "".join(f"[{p!r}]" if isinstance(p, str) else f"[{p}]" for p in error.path) or "(the body)"
    # what the sandbox's journal hides is not shown here either (a report is read by others)
    field = error.path[-1] if error.path else 0
    instance = redaction.redacted({field: error.instance})[field]
    try:
        shown = orjson.dumps(instance).decode()
    except TypeError:
        shown = repr(instance)
    if len(shown) > MAX_SHOWN:
        shown = shown[:MAX_SHOWN] + " …"
    message = error.message if len(error.message) <= MAX_SHOWN else error.message[:MAX_SHOWN] + " …"
    if instance is not error.instance:  # the message quotes the value: say what failed without it
        message = f"a value holding a credential fails the schema's `{error.validator}` keyword"
    return SchemaProblem(
        message=f"body{where}: {message}", checked=f"the schema at {checked}", offending=shown
    )
