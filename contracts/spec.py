"""The contract as the kit reads it: openapi.json, minus what only the sandbox implements."""

from __future__ import annotations

import copy
import importlib.util
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from contracts.errors import SpecError

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Header parameters the fuzzers leave alone:
# - `Prefer: code=NNN` is a sandbox-only testing aid (the production API ignores it) that forces a
#   documented example, 500 included;
# - `X-Idempotency-Key`: generated keys repeat across cases, and a replay answers an earlier
#   request's response, which makes unrelated checks (use-after-free, availability) flaky. The rules
#   suite checks idempotency deterministically instead.
UNFUZZED_HEADERS = frozenset({"prefer", "x-idempotency-key"})


@dataclass(frozen=True, slots=True)
class SpecFacts:
    """What the response checks read from the spec."""

    # status -> the documented `error.code`s (`x-error-codes` of the error code schema); empty: any
    error_codes: Mapping[int, frozenset[str]] = field(default_factory=dict)
    # operationId -> the statuses whose error codes its description names (`business_statuses`)
    business_statuses: Mapping[str, frozenset[str]] = field(default_factory=dict)


NO_FACTS = SpecFacts()


def _error_code_tables(node: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(node, dict):
        table = node.get("x-error-codes")
        if isinstance(table, dict):
            yield table
        for value in node.values():
            yield from _error_code_tables(value)
    elif isinstance(node, list):
        for value in node:
            yield from _error_code_tables(value)


def error_codes(document: Mapping[str, Any]) -> dict[int, frozenset[str]]:
    """status -> documented error codes, from every `x-error-codes` extension of the spec."""
    codes: dict[int, set[str]] = {}
    for table in _error_code_tables(document.get("components") or {}):
        for status, names in table.items():
            if str(status).isdigit() and isinstance(names, list):
                codes.setdefault(int(status), set()).update(str(n) for n in names)
    return {status: frozenset(names) for status, names in codes.items()}


_CODE = re.compile(r"`([A-Za-z0-9_.-]+)`")


def _named_codes(text: Any) -> set[str]:
    return set(_CODE.findall(text)) if isinstance(text, str) else set()


def business_statuses(document: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """operationId -> the documented statuses a schema-valid request may get because of a rule a
    schema cannot state: those whose `x-error-codes` include a code the operation's description
    names (in backticks; the spec's error responses say each operation's description lists its
    codes), leaving out codes that only a header the fuzzers never send can cause (that header's
    own description names them: a reused `X-Idempotency-Key`, say)."""
    codes = error_codes(document)
    unreachable: set[str] = set()
    for parameter in (document.get("components") or {}).get("parameters", {}).values():
        if isinstance(parameter, dict) and str(parameter.get("name", "")).lower() in UNFUZZED_HEADERS:
            unreachable |= _named_codes(parameter.get("description"))
    found: dict[str, frozenset[str]] = {}
    for item in (document.get("paths") or {}).values():
        for method, op in item.items():
            if method not in HTTP_METHODS or not isinstance(op, dict) or "operationId" not in op:
                continue
            named = _named_codes(op.get("description")) - unreachable
            documented = {int(s) for s in (op.get("responses") or {}) if str(s).isdigit()}
            statuses = {str(s) for s in documented if named & codes.get(s, frozenset())}
            if statuses:
                found[op["operationId"]] = frozenset(statuses)
    return found


def named_error_codes(document: Mapping[str, Any], status: int) -> dict[str, frozenset[str]]:
    """operationId -> the error codes of `status` its description names, for each operation that
    documents `status` (the spec's error responses say each description lists its codes)."""
    documented = error_codes(document).get(status, frozenset())
    found: dict[str, frozenset[str]] = {}
    for item in (document.get("paths") or {}).values():
        for method, op in item.items():
            if method in HTTP_METHODS and isinstance(op, dict) and "operationId" in op:
                if str(status) in (op.get("responses") or {}):
                    found[op["operationId"]] = frozenset(_named_codes(op.get("description")) & documented)
    return found


def facts(document: Mapping[str, Any]) -> SpecFacts:
    return SpecFacts(error_codes=error_codes(document), business_statuses=business_statuses(document))


@dataclass(frozen=True, slots=True)
class OperationInfo:
    operation_id: str
    method: str
    path: str
    tags: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def default_spec_path() -> Path:
    """openapi.json of this checkout, else the copy bundled in the wheel (inside mock_server)."""
    here = Path(__file__).resolve().parent.parent / "openapi.json"
    if here.exists():
        return here
    found = importlib.util.find_spec("mock_server")
    if found is not None and found.origin:
        bundled = Path(found.origin).parent / "openapi.json"
        if bundled.exists():
            return bundled
    return Path("openapi.json")


def load_document(path: Path) -> dict[str, Any]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SpecError(f"cannot read the OpenAPI document {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise SpecError(f"{path} is not JSON: {exc}") from None
    if not isinstance(raw, dict) or not str(raw.get("openapi", "")).startswith("3."):
        raise SpecError(f"{path} is not an OpenAPI 3 document")
    if not operations(raw):
        raise SpecError(f"{path} has no operations")
    return raw


def candidate_base_urls(given: str, document: Mapping[str, Any]) -> list[str]:
    """Where the API may be: the given URL when it has a path (any path, the API's base); for an
    origin alone, the origin plus the spec's server path (/api/public/v1), then the origin itself
    (a server mounted at the root, as Prism serves a spec)."""
    given = given.rstrip("/")
    if urlsplit(given).path not in ("", "/"):
        return [given]
    servers = document.get("servers") or [{"url": "/"}]
    server_path = urlsplit(str(servers[0].get("url", "/"))).path.rstrip("/")
    return list(dict.fromkeys([given + server_path, given]))


def operations(document: Mapping[str, Any]) -> list[OperationInfo]:
    found = []
    for path, item in (document.get("paths") or {}).items():
        for method, op in item.items():
            if method in HTTP_METHODS and isinstance(op, dict) and "operationId" in op:
                found.append(
                    OperationInfo(op["operationId"], method.upper(), path, tuple(op.get("tags", ())))
                )
    return found


def select(document: Mapping[str, Any], tags: tuple[str, ...], ids: tuple[str, ...]) -> list[OperationInfo]:
    """The operations named by tag or by id (either); all of them when neither is given."""
    every = operations(document)
    known_tags = {t for op in every for t in op.tags}
    known_ids = {op.operation_id for op in every}
    for tag in tags:
        if tag not in known_tags:
            raise SpecError(f"no operation has the tag '{tag}'; tags: {', '.join(sorted(known_tags))}")
    for op_id in ids:
        if op_id not in known_ids:
            raise SpecError(f"no operation '{op_id}' in the spec; see its operationIds")
    if not tags and not ids:
        return every
    return [op for op in every if op.operation_id in ids or set(op.tags) & set(tags)]


def _resolve(document: Mapping[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        target: Any = document
        for part in node["$ref"][2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _fuzzed_parameters(document: Mapping[str, Any], params: list[Any]) -> Iterator[Any]:
    for param in params:
        resolved = _resolve(document, param)
        is_header = isinstance(resolved, dict) and resolved.get("in") == "header"
        if not (is_header and str(resolved.get("name", "")).lower() in UNFUZZED_HEADERS):
            yield param


def fuzzable(document: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the document without the header parameters the fuzzers leave alone."""
    result = copy.deepcopy(dict(document))
    for item in (result.get("paths") or {}).values():
        if "parameters" in item:
            item["parameters"] = list(_fuzzed_parameters(result, item["parameters"]))
        for method, op in item.items():
            if method in HTTP_METHODS and isinstance(op, dict) and "parameters" in op:
                op["parameters"] = list(_fuzzed_parameters(result, op["parameters"]))
    return result
