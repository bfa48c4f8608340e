"""What one run of the kit is asked to do: the target, the suites, their budget, the target's fixtures."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    from contracts.dialects import KitDialect
    from contracts.fixtures import Fixtures

Suite = Literal["schema", "stateful", "rules"]
SUITES: tuple[Suite, ...] = get_args(Suite)


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
    fixtures: Fixtures | None = None  # None: the sandbox's ids (`contracts.fixtures`)
    timeout: float = 10.0  # seconds, per request
    other_api_key: str | None = None  # a second workspace, for the isolation rules
    run_id: str = field(default_factory=new_run_id)
    junit_xml: Path | None = None
    report_md: Path | None = None
    report_html: Path | None = None
    quiet: bool = False
    api_secret: str | None = None  # the secret sent with the key, where the API has one
    other_api_secret: str | None = None  # the second workspace's secret
    wait: float = 0.0  # seconds to wait for a target that does not accept connections yet
    dialect: KitDialect | None = None  # the API's profile; None: the kit's profile the spec names

    @property
    def tag(self) -> str:
        """Prefix of the names of everything the kit creates on the target."""
        return f"contract-kit {self.run_id}"
