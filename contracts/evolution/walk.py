"""What the comparison of one operation shares: both sides, the budget, and where changes go."""

from __future__ import annotations

from dataclasses import dataclass, field

from contracts.evolution.document import Location, Spec
from contracts.evolution.errors import DocumentError
from contracts.evolution.facts import SchemaFacts
from contracts.evolution.rules import RULES, Change

MAX_STEPS = 2_000_000  # schema pairs compared in all (each pair once per operation)


class Budget:
    """Bounds the work of a whole comparison, whatever the documents hold."""

    def __init__(self, steps: int = MAX_STEPS) -> None:
        self.left = steps
        self.steps = steps

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise DocumentError(
                f"the documents are too large to compare: more than {self.steps:,} schema comparisons"
            )


@dataclass(slots=True)
class Sides:
    """OLD and NEW, each with its schema facts; shared by every operation's comparison."""

    old: Spec
    new: Spec
    old_facts: SchemaFacts
    new_facts: SchemaFacts
    budget: Budget


@dataclass(slots=True)
class OperationChanges:
    """The changes found for one operation, each reported once."""

    sides: Sides
    operation: str
    changes: list[Change] = field(default_factory=list)
    _seen: set[tuple[str, str | None, str | None, str]] = field(default_factory=set)

    def add(self, rule: str, message: str, old: Location | None, new: Location | None) -> None:
        assert rule in RULES, rule
        old_label = self.sides.old.label(old) if old is not None else None
        new_label = self.sides.new.label(new) if new is not None else None
        key = (rule, old_label, new_label, message)
        if key not in self._seen:
            self._seen.add(key)
            self.changes.append(Change(rule, self.operation, message, old_label, new_label))
