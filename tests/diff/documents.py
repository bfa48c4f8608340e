"""Builders of small OpenAPI documents for the tests of `diff`, and a fixture comparing two of them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts.evolution.compare import compare
from contracts.evolution.document import Limits, Spec
from contracts.evolution.rules import Change
from contracts.evolution.source import to_uri

Doc = dict[str, Any]


def document(
    version: str = "3.1.0", schemas: Doc | None = None, paths: Doc | None = None, **extra: Any
) -> Doc:
    return {
        "openapi": version,
        "info": {"title": "t", "version": "1"},
        "paths": paths or {},
        "components": {"schemas": schemas or {}},
        **extra,
    }


def body_operation(request: Doc | None = None, response: Doc | None = None, **extra: Any) -> Doc:
    """POST /things taking `request` and answering `response` (200, JSON)."""
    operation: Doc = {"responses": {"200": {"description": "ok"}}, **extra}
    if request is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": request}}}
    if response is not None:
        operation["responses"]["200"]["content"] = {"application/json": {"schema": response}}
    return {"/things": {"post": operation}}


def save(path: Path, value: Doc) -> Path:
    if path.suffix == ".yaml":
        path.write_text(yaml.safe_dump(value), encoding="utf-8")
    else:
        path.write_text(json.dumps(value), encoding="utf-8")
    return path


def spec_of(path: Path) -> Spec:
    return Spec(to_uri(str(path)), path.name, Limits())


@pytest.fixture()
def changes(tmp_path: Path) -> Callable[[Doc, Doc], list[Change]]:
    def run(old: Doc, new: Doc) -> list[Change]:
        return compare(spec_of(save(tmp_path / "old.json", old)), spec_of(save(tmp_path / "new.json", new)))

    return run


def rules(found: list[Change]) -> list[str]:
    return sorted(c.rule for c in found)
