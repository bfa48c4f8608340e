"""What `diff` found: the changes, the traffic replayed, and the verdict (the exit status)."""

from __future__ import annotations

from dataclasses import dataclass, field

from contracts.evolution.rules import Change, Level


@dataclass(frozen=True, slots=True)
class Example:
    """One recorded exchange that NEW would treat differently: the first of its kind."""

    operation: str  # "POST /batch-calls"
    reason: str  # "`timezone` now required"
    entry: int  # its index in the HAR file's entries (0-based)


@dataclass(frozen=True, slots=True)
class OperationTraffic:
    operation: str
    requests: int
    refused: int
    responses_out: int
    removed: int


@dataclass(frozen=True, slots=True)
class TrafficImpact:
    """One HAR file replayed against OLD and NEW. Counted: what OLD accepted and NEW does not."""

    source: str
    requests: int  # entries in the file
    unmatched: int  # requests that are no operation of OLD (not judged)
    refused: int  # requests OLD accepts and NEW would refuse
    already_refused: int  # requests OLD refuses too (not a change)
    responses_out: int  # responses in OLD's contract, out of NEW's
    already_out: int  # responses out of OLD's contract too
    removed: int  # requests to operations NEW removes
    first_refused: Example | None = None
    first_response_out: Example | None = None
    first_removed: Example | None = None
    by_operation: tuple[OperationTraffic, ...] = ()
    reasons: tuple[tuple[str, int], ...] = ()  # the commonest reasons NEW refuses, with counts

    @property
    def breaking(self) -> bool:
        return bool(self.refused or self.responses_out or self.removed)

    def headline(self) -> str:
        def first(example: Example | None) -> str:
            return f" (first: {example.operation}, {example.reason})" if example else ""

        line = (
            f"{self.source}: {self.refused:,} of {self.requests:,} requests would be refused by NEW"
            f"{first(self.first_refused)}, {self.responses_out:,} responses out of contract"
            f"{first(self.first_response_out)}"
        )
        if self.removed:
            line += f", {self.removed:,} requests to operations NEW removes{first(self.first_removed)}"
        if self.unmatched:
            line += f"; {self.unmatched:,} requests matched no operation of OLD and were not judged"
        return line


@dataclass(frozen=True, slots=True)
class DiffResult:
    old: str  # OLD as given on the command line
    new: str
    changes: tuple[Change, ...]
    fail_on: Level = Level.BREAKING
    traffic: tuple[TrafficImpact, ...] = field(default=())

    def count(self, level: Level) -> int:
        return sum(1 for c in self.changes if c.level == level)

    @property
    def failing(self) -> list[Change]:
        return [c for c in self.changes if c.level >= self.fail_on]

    @property
    def exit_code(self) -> int:
        return 1 if self.failing or any(t.breaking for t in self.traffic) else 0

    @property
    def verdict(self) -> str:
        if self.count(Level.BREAKING) or any(t.breaking for t in self.traffic):
            return "breaking"
        if self.count(Level.POTENTIALLY_BREAKING):
            return "potentially breaking"
        return "compatible"

    def ordered(self) -> list[Change]:
        """Breaking first, then potentially breaking, then compatible; the comparison's order within."""
        return sorted(self.changes, key=lambda c: -c.level)

    def summary(self) -> str:
        counts = ", ".join(f"{self.count(level)} {level.words}" for level in sorted(Level, reverse=True))
        return f"{self.old} → {self.new}: {counts} change(s); verdict: {self.verdict}"
