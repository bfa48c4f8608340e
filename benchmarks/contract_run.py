"""Wall time of the contract kit against the in-process sandbox: the clean run, then every defect.

Each run is the full default run (all suites, --max-examples 25) with a fixed seed; for each defect it
lists the requirements that caught it.

    python -P benchmarks/contract_run.py [max_examples] [seed]   (-P: benchmarks/http.py shadows http)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from contracts.config import KitConfig
from contracts.inprocess import sandbox
from contracts.results import Outcome
from contracts.runner import run
from mock_server.testing.defects import DEFECTS

SPEC = Path(__file__).resolve().parent.parent / "openapi.json"


def main() -> None:
    max_examples = int(sys.argv[1]) if len(sys.argv) > 1 else 25
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    print(f"{'defect':26} {'exit':>4} {'seconds':>8} {'failed':>6}  caught by (first rules, then checks)")
    for defect in ["(none)", *DEFECTS]:
        defects = frozenset() if defect == "(none)" else frozenset({defect})
        with sandbox(defects=defects) as url:
            started = time.monotonic()
            result = run(
                KitConfig(
                    base_url=url,
                    api_key="sk_test_sandbox",
                    spec_path=SPEC,
                    max_examples=max_examples,
                    seed=seed,
                )
            )
            took = time.monotonic() - started
        failed = [r.id for r in result.requirements if r.outcome == Outcome.FAILED]
        rules = [i.removeprefix("rules/") for i in failed if i.startswith("rules/")]
        checks = sorted({i.rsplit("/", 1)[1] for i in failed if not i.startswith("rules/")})
        print(
            f"{defect:26} {result.exit_code:>4} {took:>8.1f} {len(failed):>6}  "
            f"{', '.join(rules[:3])}{' | ' if rules and checks else ''}{', '.join(checks[:4])}"
        )


if __name__ == "__main__":
    main()
