"""Fixtures: each profile declares the ids its rules need; a file names them per section; what it
leaves out is the sandbox's id, what it sets to null switches the rules needing it off."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from contracts.dialects import TRUEDY, FixtureField
from contracts.errors import FixturesError
from contracts.fixtures import Fixtures, load_fixtures

# a field only a profile built outside the kit declares
PARCEL = FixtureField(
    "parcel_depot", "parcels", "depot", "depot_sandbox", note="a depot that accepts parcels"
)


def test_the_sandboxs_ids_are_the_defaults() -> None:
    fixtures = Fixtures()
    assert (
        fixtures.ready_agent == "agt_sandbox_ready"
        and fixtures.get("contacts_folder") == "folder_sandbox_demo"
    )
    assert fixtures.get("parcel_depot") is None  # no profile the kit knows declares it
    with pytest.raises(AttributeError, match="parcel_depot"):
        fixtures.parcel_depot  # noqa: B018 - the attribute is the test


def test_a_file_names_ids_per_section(tmp_path: Path) -> None:
    given = tmp_path / "fixtures.yaml"
    given.write_text(
        "agents:\n  ready: agt_mine\n  no_numbers: null\nfolders:\n  demo: folder_mine\n", "utf-8"
    )
    fixtures = load_fixtures(given)
    assert (fixtures.ready_agent, fixtures.no_numbers_agent, fixtures.contacts_folder) == (
        "agt_mine",
        None,
        "folder_mine",
    )
    assert fixtures.empty_folder == "folder_sandbox_empty"


def test_another_profiles_fields_are_read_when_it_is_named(tmp_path: Path) -> None:
    given = tmp_path / "fixtures.yaml"
    given.write_text("parcels:\n  depot: depot_7\n", "utf-8")
    with pytest.raises(FixturesError, match="unknown section 'parcels'"):
        load_fixtures(given)
    assert load_fixtures(given, [PARCEL]).parcel_depot == "depot_7"
    # a profile handed to the kit brings its fields' defaults to the run's fixtures
    third = Fixtures().for_profile(dataclasses.replace(TRUEDY, fixtures=(PARCEL,)))
    assert third.parcel_depot == "depot_sandbox" and third.ready_agent == "agt_sandbox_ready"


def test_a_bad_file_says_what_it_expects(tmp_path: Path) -> None:
    given = tmp_path / "fixtures.yaml"
    given.write_text("agents:\n  ready: 7\n", "utf-8")
    with pytest.raises(FixturesError, match="'agents.ready' must be an id"):
        load_fixtures(given)
    given.write_text("agents:\n  sleepy: agt_x\n", "utf-8")
    with pytest.raises(FixturesError, match=r"unknown key 'agents.sleepy'; expected:\nagents:\n  ready: "):
        load_fixtures(given)
