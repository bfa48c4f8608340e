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
    # Zudu (seed 004): the caller number and agent of the batches the rules create, the numbers
    # their tasks call (fictional 555-01xx numbers by default: executing a batch dials them), and a
    # completed batch, if the target has one, for the rule that PATCH of a completed batch is refused
    from_number: str | None = "+14157774444"  # seed 004's caller; the sandbox accepts any E.164 number
    zudu_agent: str | None = "agent_7ff47846-c8a0-4304-ae13-88cfc31c1a03"  # seed 004's agent
    to_numbers: tuple[str, ...] = ("+12135550121", "+12135550122", "+12135550123")  # 555-01xx: fictional
    completed_batch: str | None = None


# fixtures YAML: the shape the sandbox prints for a new workspace (`POST /_mock/workspaces`)
_YAML_KEYS = {
    ("agents", "ready"): "ready_agent",
    ("agents", "no_numbers"): "no_numbers_agent",
    ("agents", "not_ready"): "not_ready_agent",
    ("agents", "inactive"): "inactive_agent",
    ("folders", "demo"): "contacts_folder",
    ("folders", "with_contacts"): "contacts_folder",
    ("folders", "empty"): "empty_folder",
    ("zudu", "from_number"): "from_number",
    ("zudu", "agent_id"): "zudu_agent",
    ("zudu", "completed_batch"): "completed_batch",
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
zudu:                   # Zudu-compatible targets (openapi.zudu.json)
  from_number: "+1..."  # caller number of the batches the rules create
  agent_id: agent_...   # agent_<uuid> of those batches
  to_numbers: ["+1...", "+1...", "+1..."]   # at least three numbers the executed batches may dial
  completed_batch: batch_call_...   # optional: a completed batch (PATCH of it must be refused)
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
    values: dict[str, Any] = {}
    for group, entries in raw.items():
        if group == "phone_numbers":
            continue  # printed by the sandbox; the kit does not need them
        if group not in ("agents", "folders", "zudu") or not isinstance(entries, dict):
            raise FixturesError(f"{path}: unknown section '{group}'; expected:\n{FIXTURES_EXAMPLE}")
        for key, value in entries.items():
            if (group, key) == ("zudu", "to_numbers"):
                values["to_numbers"] = _numbers(path, value)
                continue
            name = _YAML_KEYS.get((group, key))
            if name is None:
                raise FixturesError(f"{path}: unknown key '{group}.{key}'; expected:\n{FIXTURES_EXAMPLE}")
            if value is not None and (not isinstance(value, str) or not value):
                raise FixturesError(f"{path}: '{group}.{key}' must be an id (a non-empty string) or null")
            values[name] = value
    return Fixtures(**values)


def _numbers(path: Path, value: Any) -> tuple[str, ...]:
    if not (isinstance(value, list) and len(value) >= 3 and all(isinstance(v, str) and v for v in value)):
        raise FixturesError(f"{path}: 'zudu.to_numbers' must list at least three E.164 numbers")
    return tuple(value)


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
    api_secret: str | None = None  # Zudu's X-API-SECRET (Zudu authenticates with a key and a secret)
    other_api_secret: str | None = None  # the second workspace's X-API-SECRET (Zudu)
    wait: float = 0.0  # seconds to wait for a target that does not accept connections yet

    @property
    def tag(self) -> str:
        """Prefix of the names of everything the kit creates on the target."""
        return f"contract-kit {self.run_id}"
