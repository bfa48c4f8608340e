"""How the kit reads the contract: the base URL, the fuzzed document, the selection of operations."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from contracts.dialects import TRUEDY
from contracts.errors import SpecError
from contracts.spec import (
    business_statuses,
    candidate_base_urls,
    default_spec_path,
    facts,
    fuzzable,
    load_document,
    select,
)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return load_document(default_spec_path())


def test_an_origin_tries_the_specs_base_path_then_the_root(document: dict[str, Any]) -> None:
    both = ["http://127.0.0.1:8080/api/public/v1", "http://127.0.0.1:8080"]
    assert candidate_base_urls("http://127.0.0.1:8080", document) == both
    assert candidate_base_urls("http://127.0.0.1:8080/", document) == both
    assert candidate_base_urls("https://x.test/api/public/v1/", document) == ["https://x.test/api/public/v1"]
    assert candidate_base_urls("https://x.test/any/path", document) == ["https://x.test/any/path"]


def test_the_fuzzers_leave_sandbox_only_and_idempotency_headers_alone(document: dict[str, Any]) -> None:
    def header_names(doc: dict[str, Any]) -> set[str]:
        names = set()
        for item in doc["paths"].values():
            for op in item.values():
                for param in op.get("parameters", []):
                    ref = param.get("$ref", "")
                    names.add(
                        doc["components"]["parameters"][ref.split("/")[-1]]["name"] if ref else param["name"]
                    )
        return names

    assert {"Prefer", "X-Idempotency-Key"} <= header_names(document)
    assert not {"Prefer", "X-Idempotency-Key"} & header_names(fuzzable(document))
    assert "Prefer" in header_names(document), "the original document is not modified"


def test_selection_by_tag_or_operation(document: dict[str, Any]) -> None:
    chosen = select(document, ("Sandbox Resources",), ("create_batch_call",))
    ids = {op.operation_id for op in chosen}
    assert "create_batch_call" in ids and "list_agents" in ids and "pause_batch_call" not in ids
    assert len(select(document, (), ())) == len({op.label for op in select(document, (), ())})
    with pytest.raises(SpecError, match="no operation 'nope'"):
        select(document, (), ("nope",))


def test_the_business_422s_are_the_codes_each_operation_names(document: dict[str, Any]) -> None:
    derived = {op for op, statuses in business_statuses(document).items() if "422" in statuses}
    # `idempotency_key_reused` (named by create_contact, …) needs a key header the fuzzers never send
    assert derived == {
        "create_batch_call",
        "update_batch_call",
        "schedule_batch_call",
        "pause_batch_call",
        "resume_batch_call",
        "upload_batch_call_contacts",
    }
    # with the validation a schema cannot state (the profile's), the operations whose schema-valid
    # requests may answer 422: the list Truedy's profile used to keep by hand
    spec_facts = facts(document)
    expected = {
        op.operation_id
        for op in select(document, (), ())
        if TRUEDY.expected_statuses(op.operation_id, spec_facts)
    }
    assert expected == derived | {"import_contacts"}
    assert TRUEDY.expected_statuses("pause_batch_call", spec_facts) == [
        "2xx",
        "3xx",
        "401",
        "403",
        "404",
        "409",
        "429",
        "5xx",
        "422",
    ]


def test_a_code_an_operation_starts_to_name_is_expected_without_a_profile_edit(
    document: dict[str, Any],
) -> None:
    changed = copy.deepcopy(document)
    changed["paths"]["/batch-calls/{batch_call_id}"]["delete"]["description"] += (
        " A running batch is `invalid_state`."
    )
    assert "422" in business_statuses(changed)["delete_batch_call"]
    assert "422" in (TRUEDY.expected_statuses("delete_batch_call", facts(changed)) or [])
    assert TRUEDY.expected_statuses("delete_batch_call", facts(document)) is None
