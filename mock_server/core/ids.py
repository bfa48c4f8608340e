"""Prefixed ids from a seeded generator, so one seed and one request sequence give one state."""

from __future__ import annotations

import random


class IdFactory:
    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def new(self, prefix: str) -> str:
        return prefix + "_" + self._rng.getrandbits(48).to_bytes(6, "big").hex()  # 12 hex digits
