"""The contract kit's full run (every suite: probe, schema, stateful, rules) against two
`serve --store` instances behind a round-robin forwarder: clean, like against one process; and its
rules suite for Zudu's API. Bounded by --max-examples (the runs' fixed cost dominates anyway)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from instances import Pair
from support import API, AUTH

from contracts.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.long
def test_every_suite_of_both_dialects_is_clean_against_the_pair(
    pair: Callable[..., Pair], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = pair("--clock", "manual", "--seed", "7")
    truedy, zudu = tmp_path / "truedy.xml", tmp_path / "zudu.xml"
    code = main(["run", "--base-url", p.url + API, "--api-key", "sk_test_sandbox", "--seed", "7",
                 "--max-examples", "5", "--junit-xml", str(truedy)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "CONFORMANT" in out and "NOT CONFORMANT" not in out
    code = main(["run", "--spec", str(ROOT / "openapi.zudu.json"), "--base-url", p.url,
                 "--api-key", "zk_test_sandbox", "--api-secret", "zs_test_sandbox", "--seed", "7",
                 "--suite", "rules", "--junit-xml", str(zudu)])
    out = capsys.readouterr().out
    assert code == 0, out
    for junit, expected in ((truedy, {"contract.schema", "contract.stateful", "contract.rules"}),
                            (zudu, {"contract.rules"})):
        suites = {s.get("name"): s for s in ET.parse(junit).getroot()}
        assert expected <= set(suites)
        assert all(s.get("failures") == "0" and s.get("errors") == "0" for s in suites.values())
    assert min(p.forwarder.sent.values()) > 100  # both instances served the runs
    left = httpx.get(f"{p.b.base}{API}/batch-calls", headers=AUTH).json()
    assert left["pagination"]["total"] == 0, "the kit deletes every batch call it created"
