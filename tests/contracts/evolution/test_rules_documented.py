"""docs/spec-diff.md lists every rule of contracts/evolution/rules.py with its level, and no other."""

from __future__ import annotations

import re
from pathlib import Path

from contracts.evolution.rules import PLAIN, RULES, sided

DOC = Path(__file__).resolve().parents[3] / "docs" / "spec-diff.md"


def test_the_rule_tables_are_the_registry() -> None:
    text = DOC.read_text(encoding="utf-8")
    plain = re.findall(
        r"^\| `([a-z-]+)` \| (breaking|potentially breaking|compatible) \| [^|]+ \|$", text, re.M
    )
    assert plain == [(rule_id, level.words) for rule_id, level, _ in PLAIN]
    two_sided = re.findall(
        r"^\| `([a-z-]+)` \| (breaking|potentially breaking|compatible) \| "
        r"(breaking|potentially breaking|compatible) \| [^|]+ \|$",
        text,
        re.M,
    )
    assert two_sided == [(suffix, request.words, response.words) for suffix, request, response, _ in sided()]
    assert len(plain) + 2 * len(two_sided) == len(RULES)
