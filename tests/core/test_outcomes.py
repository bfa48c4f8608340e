from __future__ import annotations

from collections import Counter

import pytest

from mock_server.core.outcomes import (
    CallResult,
    OutcomeModel,
    SimulationConfig,
    batch_rng,
)


def model(seed: int = 1, batch_id: str = "batch_a", **config: object) -> OutcomeModel:
    return OutcomeModel(SimulationConfig(**config), batch_rng(seed, batch_id, "outcomes"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("number", "outcome", "reason"),
    [
        ("+15550100001", "voicemail", None),
        ("+15550100002", "no_answer", None),
        ("+15550100003", "failed", "busy"),
        ("+15550100004", "failed", "invalid_number"),
    ],
)
def test_magic_numbers_are_fixed(number: str, outcome: str, reason: str | None) -> None:
    m = model()
    for attempt in (1, 2, 3):
        r = m.draw(number, attempt)
        assert (r.outcome, r.error_reason) == (outcome, reason)


def test_magic_no_answer_then_completed() -> None:
    m = model()
    assert m.draw("+15550100005", 1).outcome == "no_answer"
    assert m.draw("+15550100005", 2).outcome == "completed"
    assert m.draw("+15550100005", 3).outcome == "completed"


def test_magic_numbers_can_be_switched_off() -> None:
    m = model(magic_numbers=False)
    assert {m.draw("+15550100001", 1).outcome for _ in range(200)} == {
        "completed",
        "voicemail",
        "no_answer",
        "failed",
    }


def test_distribution_is_roughly_70_12_10_8() -> None:
    m = model(seed=7)
    n = 20_000
    counts: Counter[str] = Counter(m.draw("+12025550123", 1).outcome for _ in range(n))
    for outcome, share in [("completed", 0.70), ("voicemail", 0.12), ("no_answer", 0.10), ("failed", 0.08)]:
        assert abs(counts[outcome] / n - share) < 0.015, (outcome, counts)


def test_failed_calls_carry_a_reason_and_others_do_not() -> None:
    m = model(seed=3)
    reasons: Counter[str] = Counter()
    for _ in range(5_000):
        r = m.draw("+12025550123", 1)
        if r.outcome == "failed":
            assert r.error_reason in ("busy", "invalid_number", "carrier_error")
            reasons[r.error_reason] += 1
        else:
            assert r.error_reason is None
    assert set(reasons) == {"busy", "invalid_number", "carrier_error"}


def test_durations_and_cost() -> None:
    m = model(seed=5, cost_per_minute_usd=0.6)
    ranges = {"completed": (45, 420), "voicemail": (15, 45), "no_answer": (25, 35), "failed": (0, 5)}
    seen: dict[str, list[CallResult]] = {}
    for _ in range(5_000):
        r = m.draw("+12025550123", 1)
        seen.setdefault(r.outcome, []).append(r)
        lo, hi = ranges[r.outcome]
        assert lo <= r.duration_seconds <= hi
        if r.outcome in ("completed", "voicemail"):
            assert r.cost_usd == pytest.approx(r.duration_seconds * 0.01)
        else:
            assert r.cost_usd == 0.0
    # both ends of the completed range are reachable in principle; the spread is wide in practice
    completed = [r.duration_seconds for r in seen["completed"]]
    assert min(completed) < 60 and max(completed) > 400


def draws(seed: int, batch_id: str, n: int = 50) -> list[CallResult]:
    m = model(seed, batch_id)
    return [m.draw("+12025550123", 1) for _ in range(n)]


def test_same_seed_and_batch_repeat_and_batches_are_independent() -> None:
    assert draws(9, "batch_a") == draws(9, "batch_a")
    assert draws(9, "batch_a") != draws(9, "batch_b")
    assert draws(9, "batch_a") != draws(10, "batch_a")


def test_a_magic_number_does_not_shift_later_draws() -> None:
    plain, mixed = model(4), model(4)
    plain.draw("+12025550123", 1)
    mixed.draw("+15550100001", 1)
    assert [mixed.draw("+12025550123", 1) for _ in range(5)] == [
        plain.draw("+12025550123", 1) for _ in range(5)
    ]


@pytest.mark.parametrize(
    "config",
    [
        {"cost_per_minute_usd": -1.0},
        {"retry_delay_seconds": -5.0},
        {"outcome_weights": (("completed", 0.0),)},
        {"error_reason_weights": (("busy", 0.0),)},
    ],
)
def test_config_is_validated(config: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        SimulationConfig(**config)  # type: ignore[arg-type]


def test_config_defaults() -> None:
    c = SimulationConfig()
    assert c.cost_per_minute_usd == 0.12 and c.retry_delay_seconds == 3600
