"""Quotas lifted for benchmarks: every create of a run is stored.

By default a workspace holds 1,000 batch calls (`--max-batches`): past that a run measures
`409 quota_exceeded` answers, not creates."""

from __future__ import annotations

LIFTED: dict[str, int] = {"max_batches": 100_000_000, "max_contacts": 100_000_000,
                          "max_stored_bytes": 1_000_000_000_000_000}
# the same as `serve` flags (each setting's flag is its name, dashed)
LIFTED_FLAGS: list[str] = [part for name, value in LIFTED.items()
                           for part in (f"--{name.replace('_', '-')}", str(value))]
