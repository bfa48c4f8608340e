"""A test-only time source: with BATCHCALLS_TEST_NOW set (RFC 3339) and this folder on PYTHONPATH,
every Python process of a test run (pytest, its xdist workers, the `serve` subprocesses, the kit)
reads a wall clock that stands at that moment when the run starts, and runs on from there.

`scripts/test` runs the real-clock tests so on a Saturday night and on a Monday morning: what they
wait for must not depend on the day of the week. Debian's faketime cannot do it for Python: its
libfaketime shifts the monotonic clock too, and Python's timed waits (sem_clockwait) then hang.
time-machine shifts only the wall clock (`time.time`, `datetime.now`, …), in each process; the first
process turns the moment into an offset from the real clock and hands it down in the environment,
so that all of them share one timeline.
"""

from __future__ import annotations

import os
import time
from datetime import datetime

OFFSET = "BATCHCALLS_TEST_CLOCK_OFFSET"  # seconds to add to the real wall clock, set by the first process


def _travel() -> None:
    moment = os.environ.get("BATCHCALLS_TEST_NOW")
    if not moment:
        return
    import time_machine

    if OFFSET not in os.environ:
        os.environ[OFFSET] = repr(datetime.fromisoformat(moment).timestamp() - time.time())
    time_machine.travel(time.time() + float(os.environ[OFFSET]), tick=True).start()
    time.time()  # time-machine's clock starts to run at its first reading, not at start()
    # pytest warns that the time_machine plugin was imported before it could rewrite it (here, before
    # pytest): not an error for any pytest of the run, nested ones included
    quiet = "-W ignore::pytest.PytestAssertRewriteWarning"
    if quiet not in os.environ.get("PYTEST_ADDOPTS", ""):
        os.environ["PYTEST_ADDOPTS"] = f"{os.environ.get('PYTEST_ADDOPTS', '')} {quiet}".strip()


_travel()
