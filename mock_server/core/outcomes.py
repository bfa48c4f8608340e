"""What a simulated call does: its outcome, duration and cost, seeded and repeatable.

Each batch draws from its own `random.Random` seeded from (app seed, batch id, stream), so one
batch's calls never shift another's. Magic test numbers give a fixed outcome, like a payment
sandbox's test cards.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .models import ErrorReason, Outcome

MAGIC_VOICEMAIL = "+15550100001"
MAGIC_NO_ANSWER = "+15550100002"
MAGIC_BUSY = "+15550100003"
MAGIC_INVALID = "+15550100004"
MAGIC_NO_ANSWER_THEN_COMPLETED = "+15550100005"

BILLABLE_OUTCOMES: frozenset[str] = frozenset({"completed", "voicemail"})
RETRYABLE_OUTCOMES: frozenset[str] = frozenset({"no_answer", "failed"})


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """Knobs of the call simulation that do not depend on the seed."""

    cost_per_minute_usd: float = 0.12
    retry_delay_seconds: float = 3600.0
    outcome_weights: tuple[tuple[Outcome, float], ...] = (
        ("completed", 0.70),
        ("voicemail", 0.12),
        ("no_answer", 0.10),
        ("failed", 0.08),
    )
    error_reason_weights: tuple[tuple[ErrorReason, float], ...] = (
        ("busy", 0.5),
        ("invalid_number", 0.2),
        ("carrier_error", 0.3),
    )
    # Inclusive ranges of whole seconds. no_answer is the ringing time; failed ends at once.
    completed_seconds: tuple[int, int] = (45, 420)
    voicemail_seconds: tuple[int, int] = (15, 45)
    no_answer_seconds: tuple[int, int] = (25, 35)
    failed_seconds: tuple[int, int] = (0, 5)
    magic_numbers: bool = True

    def __post_init__(self) -> None:
        if self.cost_per_minute_usd < 0 or self.retry_delay_seconds < 0:
            raise ValueError("cost and retry delay must not be negative")
        if sum(w for _, w in self.outcome_weights) <= 0:
            raise ValueError("outcome weights must add up to more than zero")
        if sum(w for _, w in self.error_reason_weights) <= 0:
            raise ValueError("error reason weights must add up to more than zero")


@dataclass(frozen=True, slots=True)
class CallResult:
    outcome: Outcome
    error_reason: ErrorReason | None
    duration_seconds: int
    cost_usd: float


def batch_rng(seed: int, batch_id: str, stream: str) -> random.Random:
    """A generator private to one batch and one use (str seeds hash with SHA-512: stable)."""
    return random.Random(f"{seed}/{batch_id}/{stream}")


def _cumulative(weights: tuple[tuple[str, float], ...]) -> list[float]:
    total = sum(w for _, w in weights)
    acc = 0.0
    out: list[float] = []
    for _, w in weights:
        acc += w / total
        out.append(acc)
    out[-1] = 1.0
    return out


class OutcomeModel:
    """Draws call results for one batch."""

    __slots__ = ("config", "rng", "_outcomes", "_outcome_cum", "_reasons", "_reason_cum", "_per_second")

    def __init__(self, config: SimulationConfig, rng: random.Random) -> None:
        self.config = config
        self.rng = rng
        self._outcomes = [o for o, _ in config.outcome_weights]
        self._outcome_cum = _cumulative(config.outcome_weights)
        self._reasons = [r for r, _ in config.error_reason_weights]
        self._reason_cum = _cumulative(config.error_reason_weights)
        self._per_second = config.cost_per_minute_usd / 60.0

    def magic(self, phone_number: str, attempt: int) -> tuple[Outcome, ErrorReason | None] | None:
        """The fixed outcome of a magic test number on its `attempt`-th dial (1-based), if any."""
        if not self.config.magic_numbers or not phone_number.startswith("+1555010000"):
            return None
        if phone_number == MAGIC_VOICEMAIL:
            return "voicemail", None
        if phone_number == MAGIC_NO_ANSWER:
            return "no_answer", None
        if phone_number == MAGIC_BUSY:
            return "failed", "busy"
        if phone_number == MAGIC_INVALID:
            return "failed", "invalid_number"
        if phone_number == MAGIC_NO_ANSWER_THEN_COMPLETED:
            return ("no_answer", None) if attempt == 1 else ("completed", None)
        return None

    def draw(self, phone_number: str, attempt: int) -> CallResult:
        rng = self.rng
        # Always consume the same draws, so a magic number does not shift the calls after it.
        u_outcome, u_reason, u_duration = rng.random(), rng.random(), rng.random()
        fixed = self.magic(phone_number, attempt)
        if fixed is not None:
            outcome, reason = fixed
        else:
            outcome = self._outcomes[_index(self._outcome_cum, u_outcome)]
            reason = self._reasons[_index(self._reason_cum, u_reason)] if outcome == "failed" else None
        cfg = self.config
        lo, hi = {
            "completed": cfg.completed_seconds,
            "voicemail": cfg.voicemail_seconds,
            "no_answer": cfg.no_answer_seconds,
            "failed": cfg.failed_seconds,
        }[outcome]
        duration = lo + int(u_duration * (hi - lo + 1))
        cost = round(duration * self._per_second, 6) if outcome in BILLABLE_OUTCOMES else 0.0
        return CallResult(outcome, reason, duration, cost)


def _index(cumulative: list[float], u: float) -> int:
    for i, edge in enumerate(cumulative):
        if u < edge:
            return i
    return len(cumulative) - 1
