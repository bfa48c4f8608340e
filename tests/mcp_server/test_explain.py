"""`explain_error_code`: the rule of a code, from the documents and the spec notes."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from mock_server.mcp_server.documents import spec_notes
from mock_server.mcp_server.explain import explain
from mock_server.mcp_server.sandbox_client import ToolFailure
from mock_server.settings import default_control_spec_path, default_spec_path, default_zudu_spec_path

DOCUMENTS: dict[str, Any] = {
    api: json.loads(path.read_text(encoding="utf-8"))
    for api, path in (
        ("truedy", default_spec_path()),
        ("zudu", default_zudu_spec_path()),
        ("control", default_control_spec_path()),
    )
}


def test_a_business_rule_is_explained_by_its_status_its_rules_and_an_example() -> None:
    said = explain("no_contacts", DOCUMENTS, spec_notes())
    (truedy,) = said["apis"]
    assert truedy["api"] == "truedy" and truedy["statuses"] == [422]
    assert any(
        rule.startswith("POST /batch-calls/{batch_call_id}/schedule (schedule_batch_call):")
        for rule in truedy["rules"]
    )
    assert truedy["example"]["error"]["code"] == "no_contacts"


def test_a_code_of_two_apis_is_explained_for_each_with_its_own_status_and_the_notes() -> None:
    said = explain("invalid_state", DOCUMENTS, spec_notes())
    statuses = {api["api"]: api["statuses"] for api in said["apis"]}
    assert statuses == {"truedy": [422], "control": [409]}  # control: x-error-codes maps code -> status
    assert said["spec_notes"] and all("`invalid_state`" in passage for passage in said["spec_notes"])


def test_an_unknown_code_is_refused_with_the_documented_ones() -> None:
    with pytest.raises(ToolFailure) as refused:
        explain("no_such_code", DOCUMENTS, spec_notes())
    assert refused.value.code == "unknown_error_code"
    assert "clock_not_manual" in refused.value.message and "no_contacts" in refused.value.message


def test_the_spec_notes_are_found_where_the_wheel_puts_them() -> None:
    """pyproject's force-include ships docs/spec-notes.md as mock_server/docs/spec-notes.md, the
    place `spec_notes` reads first (the checkout's docs/ is the fallback)."""
    root = Path(__file__).resolve().parents[2]
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    included = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert included["docs/spec-notes.md"] == "mock_server/docs/spec-notes.md"
    assert spec_notes().startswith("# Spec notes")
