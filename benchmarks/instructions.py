"""Instructions the app executes per request (callgrind): the figure that does not move with load.

On a shared machine the wall clock of benchmarks/in_process.py moves by up to 3x between identical
runs; the number of instructions a request executes hardly moves at all, so two builds can be
compared by it (it leaves out what memory and caches cost, which the wall clock shows).

    python benchmarks/instructions.py [--requests 1000] [--quiet] [--journal-size N]

Needs valgrind (Debian: apt-get install valgrind). Each of benchmarks/in_process.py's three
requests is measured in a process of its own run under `valgrind --tool=callgrind` with
instrumentation off, switched on (`callgrind_control`) only around the measured requests.
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/http.py would shadow the standard library's `http`: drop this folder from the path
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import asyncio
import importlib.util
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from typing import Any

import orjson

from benchmarks.lifted_quotas import LIFTED
from mock_server.app import create_app
from mock_server.cli import tune_garbage_collector
from mock_server.settings import Settings

HERE = Path(__file__).resolve().parent
CASES = ("GET /batch-calls/{id}", "GET /batch-calls?limit=50", "POST /batch-calls")
WARM_UP = 300


def _in_process() -> Any:
    spec = importlib.util.spec_from_file_location("in_process", HERE / "in_process.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _instrument(on: bool) -> None:
    command = ["callgrind_control", "--instr=on" if on else "--instr=off", str(os.getpid())]
    subprocess.run(command, capture_output=True, check=True, timeout=60)


async def child(case: str, requests: int, settings: Settings) -> None:
    """Inside valgrind: one kind of request, instrumented only while measured."""
    bench = _in_process()
    app = create_app(settings)
    ids = []
    for i in range(50):
        sent = await bench.call(app, bench.post_scope(f"seed-{i}"), bench.BODY)
        ids.append(orjson.loads(sent[1]["body"])["data"]["id"])
    cases: dict[str, Callable[[int], tuple[Any, bytes]]] = {
        CASES[0]: lambda i: (bench.scope("GET", f"{bench.API}/batch-calls/{ids[0]}"), b""),
        CASES[1]: lambda i: (bench.scope("GET", f"{bench.API}/batch-calls", b"limit=50"), b""),
        CASES[2]: lambda i: (bench.post_scope(f"bench-{i}"), bench.BODY),
    }
    make = cases[case]
    tune_garbage_collector()
    for i in range(WARM_UP):
        await bench.call(app, *make(-i - 1))
    _instrument(True)
    for i in range(requests):
        await bench.call(app, *make(i))
    _instrument(False)


def measure(case: str, requests: int, flags: list[str]) -> float:
    """Thousands of instructions per request of one kind."""
    command = [
        "valgrind", "--tool=callgrind", "--instr-atstart=no", "--callgrind-out-file=/dev/null",
        sys.executable, __file__, "--child", case, "--requests", str(requests), *flags,
    ]
    environment = {**os.environ, "PYTHONHASHSEED": "0"}  # the same dict layouts every run
    done = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=1800)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"callgrind run failed: {done.stderr[-2000:]}")
    return int(found.group(1)) / requests / 1000


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--requests", type=int, default=1000, help="measured requests per kind (1000)")
    args.add_argument("--quiet", action="store_true", help="no access log, as `serve --quiet`")
    args.add_argument("--journal-size", type=int, help="entries of the request journal (0: none)")
    args.add_argument("--child", choices=CASES, help=argparse.SUPPRESS)
    opts = args.parse_args()
    # only the flags given, so that the script also runs on a checkout from before they existed
    flags = [*(["--quiet"] if opts.quiet else []),
             *(["--journal-size", str(opts.journal_size)] if opts.journal_size is not None else [])]
    given: dict[str, Any] = {"quiet": True} if opts.quiet else {}
    if opts.journal_size is not None:
        given["journal_size"] = opts.journal_size
    settings = Settings(clock="manual", **LIFTED, **given)
    if opts.child:
        asyncio.run(child(opts.child, opts.requests, settings))
        return 0
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    for case in CASES:
        print(f"{case:<28} {measure(case, opts.requests, flags):8.1f} thousand instructions per request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
