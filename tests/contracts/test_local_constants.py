"""A seed's data does not depend on what the process running the kit has imported
(contracts/local_constants.py)."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts.config import KitConfig
from contracts.runner import run

ADMIN = {"Authorization": "Bearer sk_test_sandbox"}
PLANTED = [f"planted-{n}" for n in range(300)]


def _sent(contract_sandbox: Callable[..., str], config: KitConfig) -> list[tuple[Any, ...]]:
    """What one run of the stateful suite sent to a fresh sandbox: each request's method, path,
    query and body, in order."""
    url = contract_sandbox(clock="manual", seed=7)
    result = run(dataclasses.replace(config, base_url=url, suites=("stateful",)))
    assert result.exit_code == 0, result.verdict()
    origin = url.removesuffix("/api/public/v1")
    journal = httpx.get(f"{origin}/_mock/requests", params={"limit": 1000}, headers=ADMIN).json()
    assert journal["total"] <= 1000
    return [(e["method"], e["path"], e["query"], e["request_body"]) for e in reversed(journal["data"])]


def test_a_seed_sends_the_same_requests_whatever_modules_the_process_imported(
    contract_sandbox: Callable[..., str], contract_config: KitConfig, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = dataclasses.replace(contract_config, seed=7, max_examples=4, run_id="r0c0ffee0")
    before = _sent(contract_sandbox, config)
    # a module of the process's own (outside site-packages), full of literals Hypothesis could draw
    numbers = list(range(7000, 7300))
    (tmp_path / "planted_constants.py").write_text(f"WORDS = {PLANTED!r}\nNUMBERS = {numbers!r}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module("planted_constants")
    after = _sent(contract_sandbox, config)
    assert len(before) > 50
    assert after == before
