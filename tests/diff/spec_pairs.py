"""The corpus of spec pairs (corpus.yaml): OLD is openapi.json or openapi.zudu.json, NEW is OLD with
an RFC 6902 patch applied. Used by tests/diff/test_corpus.py and benchmarks/diff_peer.py."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonpatch
import yaml

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).with_name("corpus.yaml")
VERDICTS = ("breaking", "potentially-breaking", "compatible")


@dataclass(frozen=True)
class Pair:
    id: str
    base: str
    verdict: str
    rule: str | None
    operation: str | None
    patch: list[dict[str, Any]]
    as_yaml: bool

    def write(self, directory: Path) -> tuple[Path, Path]:
        """OLD and NEW as files in `directory` (OLD is a copy of the base document)."""
        directory.mkdir(parents=True, exist_ok=True)
        old_text = (ROOT / self.base).read_text(encoding="utf-8")
        new_doc = jsonpatch.apply_patch(json.loads(old_text), self.patch)
        old = directory / f"{self.id}.old.json"
        old.write_text(old_text, encoding="utf-8")
        if self.as_yaml:
            new = directory / f"{self.id}.new.yaml"
            new.write_text(yaml.safe_dump(new_doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
        else:
            new = directory / f"{self.id}.new.json"
            new.write_text(json.dumps(new_doc, indent=2, ensure_ascii=False), encoding="utf-8")
        return old, new


def pairs() -> list[Pair]:
    raw = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    return [
        Pair(
            id=entry["id"],
            base=entry["base"],
            verdict=entry["verdict"],
            rule=entry.get("rule"),
            operation=entry.get("operation"),
            patch=entry["patch"],
            as_yaml=entry.get("yaml", False),
        )
        for entry in raw
    ]
