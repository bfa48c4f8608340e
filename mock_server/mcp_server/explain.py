"""`explain_error_code`: what an error code means, from the documents that name it (pure).

For each API whose document names the code: the statuses its `x-error-codes` list it under, the
sentences of its descriptions that name it (with the operation they belong to), and an example
answer carrying it; then the passages of the spec notes that name it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from contracts.spec import error_codes
from mock_server.mcp_server.sandbox_client import ToolFailure

MAX_SENTENCES = 8  # per API: enough to state the rule, few enough to read
MAX_CHARS = 600  # per sentence or passage
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`*(])")
_BLOCK_START = re.compile(r"^(#+ |- |\d+\. )")


def _descriptions(document: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, text) for the document's own description and every operation's and response's."""
    yield "", str(document.get("info", {}).get("description", ""))
    for template, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            where = f"{method.upper()} {template} ({operation['operationId']})"
            yield where, str(operation.get("description", ""))
            for status, response in operation.get("responses", {}).items():
                if isinstance(response, dict):
                    yield f"{where} {status}", str(response.get("description", ""))
    for kind in ("responses", "schemas"):
        for name, component in document.get("components", {}).get(kind, {}).items():
            if isinstance(component, dict):
                yield name, str(component.get("description", ""))


def _sentences(document: Mapping[str, Any], code: str) -> list[str]:
    mark = f"`{code}`"
    found: list[str] = []
    for where, text in _descriptions(document):
        for paragraph in text.split("\n"):
            for sentence in _SENTENCE_END.split(paragraph):
                if mark in sentence:
                    said = (f"{where}: " if where else "") + sentence.strip()
                    if said not in found:
                        found.append(said[:MAX_CHARS])
    return found[:MAX_SENTENCES]


def _example(node: Any, code: str) -> Any:
    """The first example answer in the document whose `error.code` is `code`."""
    if isinstance(node, dict):
        value = node.get("value")
        error = value.get("error") if isinstance(value, dict) else None
        if isinstance(error, dict) and error.get("code") == code:
            return value
        children: Any = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = _example(child, code)
        if found is not None:
            return found
    return None


def _passages(notes: str, code: str) -> list[str]:
    blocks: list[list[str]] = []
    for line in notes.splitlines():
        if not line.strip() or _BLOCK_START.match(line) or not blocks:
            blocks.append([])
        if line.strip():
            blocks[-1].append(line.strip())
    texts = (" ".join(block) for block in blocks if block)
    return [text[:MAX_CHARS] for text in texts if f"`{code}`" in text][:MAX_SENTENCES]


def _code_statuses(document: Mapping[str, Any]) -> dict[str, set[int]]:
    """code -> statuses, from the document's `x-error-codes`: status -> codes (Truedy's, read by
    the kit's `error_codes`) or code -> status on an error schema (the control API's)."""
    table: dict[str, set[int]] = {}
    for status, names in error_codes(document).items():
        for name in names:
            table.setdefault(name, set()).add(status)
    for schema in document.get("components", {}).get("schemas", {}).values():
        mapping = schema.get("x-error-codes") if isinstance(schema, dict) else None
        for name, status in (mapping or {}).items():
            if isinstance(status, int):
                table.setdefault(str(name), set()).add(status)
    return table


def explain(code: str, documents: Mapping[str, Mapping[str, Any]], notes: str) -> dict[str, Any]:
    """What the documents say of `code`; a `ToolFailure` listing the known codes when none names it."""
    apis: list[dict[str, Any]] = []
    known: set[str] = set()
    for api, document in documents.items():
        table = _code_statuses(document)
        known.update(table)
        statuses = sorted(table.get(code, ()))
        rules = _sentences(document, code)
        if statuses or rules:
            apis.append(
                {"api": api, "statuses": statuses, "rules": rules, "example": _example(document, code)}
            )
    notes_found = _passages(notes, code)
    if not apis and not notes_found:
        raise ToolFailure(
            "unknown_error_code",
            f"no document names the error code '{code}'; the documented codes: {', '.join(sorted(known))}",
        )
    return {"code": code, "apis": apis, "spec_notes": notes_found}
