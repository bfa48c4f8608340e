"""What one run of the kit is asked to do: the target, the suites, their budget, the target's fixtures."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import yaml

from contracts.errors import FixturesError

Suite = Literal["schema", "stateful", "rules"]
SUITES: tuple[Suite, ...] = get_args(Suite)


@dataclass(frozen=True, slots=True)
class Fixtures:
    """Ids of resources that exist on the target. `None`: the target has none; rules needing it are skipped.

    The defaults are the ids every workspace of the sandbox starts with.
    """

    ready_agent: str | None = "agt_sandbox_ready"  # active, voice ready, with outbound numbers
    no_numbers_agent: str | None = "agt_sandbox_no_numbers"  # ready, but no outbound number
    not_ready_agent: str | None = "agt_sandbox_not_ready"  # active, voice not synced
    inactive_agent: str | None = "agt_sandbox_inactive"  # not active
    contacts_folder: str | None = "folder_sandbox_demo"  # a folder with at least one contact
    empty_folder: str | None = "folder_sandbox_empty"  # a folder with no contacts


# fixtures YAML: the shape the sandbox prints for a new workspace (`POST /_mock/workspaces`)
_YAML_KEYS = {
    ("agents", "ready"): "ready_agent",
    ("agents", "no_numbers"): "no_numbers_agent",
    ("agents", "not_ready"): "not_ready_agent",
    ("agents", "inactive"): "inactive_agent",
    ("folders", "demo"): "contacts_folder",
    ("folders", "with_contacts"): "contacts_folder",
    ("folders", "empty"): "empty_folder",
}

FIXTURES_EXAMPLE = """\
agents:
  ready: agt_...        # active, voice ready, with outbound numbers
  no_numbers: agt_...   # ready, no outbound number (null: skip that rule)
  not_ready: agt_...    # active, voice not synced
  inactive: agt_...     # not active
folders:
  with_contacts: folder_...   # at least one contact ('demo' is accepted too)
  empty: folder_...
"""


def load_fixtures(path: Path) -> Fixtures:
    """Read a fixtures file; keys left out keep the sandbox's ids, keys set to null switch rules off."""
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FixturesError(f"cannot read the fixtures file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise FixturesError(f"the fixtures file {path} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise FixturesError(f"the fixtures file {path} must be a mapping like:\n{FIXTURES_EXAMPLE}")
    values: dict[str, str | None] = {}
    for group, entries in raw.items():
        if group == "phone_numbers":
            continue  # printed by the sandbox; the kit does not need them
        if group not in ("agents", "folders") or not isinstance(entries, dict):
            raise FixturesError(f"{path}: unknown section '{group}'; expected:\n{FIXTURES_EXAMPLE}")
        for key, value in entries.items():
            name = _YAML_KEYS.get((group, key))
            if name is None:
                raise FixturesError(f"{path}: unknown key '{group}.{key}'; expected:\n{FIXTURES_EXAMPLE}")
            if value is not None and (not isinstance(value, str) or not value):
                raise FixturesError(f"{path}: '{group}.{key}' must be an id (a non-empty string) or null")
            values[name] = value
    return Fixtures(**values)


def new_run_id() -> str:
    return "r" + secrets.token_hex(4)


@dataclass(frozen=True, slots=True)
class KitConfig:
    base_url: str  # the API's base URL, e.g. http://127.0.0.1:8080/api/public/v1
    api_key: str
    spec_path: Path
    suites: tuple[Suite, ...] = SUITES
    include_tags: tuple[str, ...] = ()
    include_operations: tuple[str, ...] = ()
    max_examples: int = 25
    seed: int = 0
    workers: int = 1
    fixtures: Fixtures = field(default_factory=Fixtures)
    timeout: float = 10.0  # seconds, per request
    other_api_key: str | None = None  # a second workspace, for the isolation rules
    run_id: str = field(default_factory=new_run_id)
    junit_xml: Path | None = None
    report_md: Path | None = None
    report_html: Path | None = None
    quiet: bool = False

    @property
    def tag(self) -> str:
        """Prefix of the names of everything the kit creates on the target."""
        return f"contract-kit {self.run_id}"
