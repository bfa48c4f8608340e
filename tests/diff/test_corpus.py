"""Every spec pair of the corpus is classified right: its verdict (the exit status, with and without
`--fail-on potentially-breaking`), its highest level, and the rule (and operation) it is about."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from diff.spec_pairs import VERDICTS, Pair, pairs
from openapi_spec_validator import validate

from contracts.cli import main
from contracts.evolution.rules import RULES, Level

PAIRS = pairs()
LEVEL = {
    "breaking": Level.BREAKING,
    "potentially-breaking": Level.POTENTIALLY_BREAKING,
    "compatible": Level.COMPATIBLE,
}


def test_the_corpus_has_20_breaking_and_20_compatible_pairs_with_known_rules() -> None:
    counts = Counter(p.verdict for p in PAIRS)
    assert counts["breaking"] >= 20 and counts["compatible"] >= 20 and len(PAIRS) >= 40
    assert set(counts) <= set(VERDICTS)
    assert len({p.id for p in PAIRS}) == len(PAIRS)
    assert {p.base for p in PAIRS} == {"openapi.json", "openapi.zudu.json"}
    for pair in PAIRS:
        assert pair.rule is None or pair.rule in RULES, pair.id
        if pair.rule is not None:
            assert RULES[pair.rule].level <= LEVEL[pair.verdict], (
                f"{pair.id}: {pair.rule} is above its verdict"
            )


def _diff(old: Path, new: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = main(["diff", str(old), str(new), "--format", "json", *flags])
    captured = capsys.readouterr()
    assert captured.err == ""
    return code, json.loads(captured.out)


@pytest.mark.parametrize("pair", PAIRS, ids=[p.id for p in PAIRS])
def test_each_pair_is_classified_right(
    pair: Pair, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = pair.write(tmp_path)
    code, report = _diff(old, new, capsys)
    changes = report["changes"]
    highest = max((Level[c["level"].upper().replace("-", "_")] for c in changes), default=Level.COMPATIBLE)
    assert highest == LEVEL[pair.verdict], json.dumps(changes, indent=1)
    assert code == (1 if pair.verdict == "breaking" else 0)
    strict, _ = _diff(old, new, capsys, "--fail-on", "potentially-breaking")
    assert strict == (0 if pair.verdict == "compatible" else 1)
    if pair.rule is None:
        assert changes == [], "an equivalent document reports no change"
    else:
        found = [c for c in changes if c["rule"] == pair.rule]
        assert found, f"{pair.rule} not reported: {[c['rule'] for c in changes]}"
        if pair.operation:
            assert pair.operation in {c["operation"] for c in found}, found
        assert all(c["old"] or c["new"] for c in found)


@pytest.mark.parametrize("pair", PAIRS[::7], ids=[p.id for p in PAIRS[::7]])
def test_the_patched_documents_are_valid_openapi(pair: Pair, tmp_path: Path) -> None:
    """A sample: the corpus compares real documents, not broken ones."""
    _, new = pair.write(tmp_path)
    import yaml

    validate(yaml.safe_load(new.read_text()))
