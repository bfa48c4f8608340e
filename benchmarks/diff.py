"""How long `batchcalls-contract diff` takes: two versions of our spec, and a replay of 100,000
recorded exchanges (`--traffic`).

    python benchmarks/diff.py [--exchanges 100000] [--runs 5]

1. OLD = openapi.json, NEW = a copy with six changes of the corpus (tests/diff/corpus.yaml): the
   whole command in this process (read, parse, follow every $ref, compare, render JSON), best and
   median of --runs; then once as a fresh `batchcalls-contract diff` process (imports included).
2. Real exchanges with the sandbox (in process), recorded, repeated to --exchanges entries of a
   HAR file, replayed by `diff OLD NEW --traffic` where NEW requires `timezone` on create.
Goals (issue 24): under 1 s for 1, under 30 s for 100,000 exchanges in 2.
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/http.py is named like the standard library's `http`: drop this folder from the path
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import contextlib
import io
import json
import resource
import statistics
import subprocess
import tempfile
import time
from typing import Any

import jsonpatch
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from diff.recording import recorded  # noqa: E402

from contracts.cli import main  # noqa: E402
from contracts.har import RecordedExchange, write_har  # noqa: E402

CHANGES = (
    "timezone-now-required",
    "response-labels-added",
    "limit-maximum-down",
    "analytics-deprecated",
    "batch-status-archived",
    "csv-upload-removed",
)
API = "/api/public/v1"
AUTH = {"Authorization": "Bearer sk_test_sandbox"}


def changed_spec(directory: Path) -> Path:
    pairs = {p["id"]: p for p in yaml.safe_load((ROOT / "tests/diff/corpus.yaml").read_text())}
    document = json.loads((ROOT / "openapi.json").read_text())
    for name in CHANGES:
        document = jsonpatch.apply_patch(document, pairs[name]["patch"])
    path = directory / "openapi.new.json"
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def quiet_main(args: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(args)
    return code, out.getvalue()


def time_spec_diff(old: Path, new: Path, runs: int) -> None:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        code, out = quiet_main(["diff", str(old), str(new), "--format", "json"])
        times.append(time.perf_counter() - started)
    counts = json.loads(out)["counts"]
    print(f"diff openapi.json vs a copy with {len(CHANGES)} changes: exit {code}, {counts}")
    print(
        f"  in process: best {min(times) * 1000:.0f} ms, median {statistics.median(times) * 1000:.0f} ms "
        f"({runs} runs)"
    )
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "contracts", "diff", str(old), str(new)], capture_output=True
        )
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    print(
        f"  a fresh `batchcalls-contract diff` process (exit {done.returncode}), imports included: wall best "
        f"{min(walls) * 1000:.0f} ms, median {statistics.median(walls) * 1000:.0f} ms; CPU best "
        f"{min(cpus) * 1000:.0f} ms, median {statistics.median(cpus) * 1000:.0f} ms (on a loaded machine, "
        "wall time counts the wait for a core)"
    )
    zudu = ROOT / "openapi.zudu.json"
    started = time.perf_counter()
    quiet_main(["diff", str(old), str(zudu), "--format", "json"])
    print(f"  openapi.json vs openapi.zudu.json, in process: {(time.perf_counter() - started) * 1000:.0f} ms")


def record_session() -> list[RecordedExchange]:
    """A partner's session with the sandbox, in process: creates (half without timezone), reads, edits."""
    from starlette.testclient import TestClient

    from mock_server.app import create_app
    from mock_server.settings import Settings

    exchanges: list[RecordedExchange] = []
    with TestClient(
        create_app(Settings(clock="manual", start_at=1772438400.0, seed=7, quiet=True))
    ) as client:

        def call(method: str, path: str, **kwargs: Any) -> Any:
            response = client.request(method, path, headers={**AUTH, **kwargs.pop("headers", {})}, **kwargs)
            exchanges.append(recorded(response, "2026-03-02T08:00:00.000000Z"))
            return response

        for index in range(6):
            body = {
                "name": f"Bench {index}",
                "agent_id": "agt_sandbox_ready",
                "contact_source": "manual",
                "contacts": [{"phone_number": f"+1555123{index:04d}"}],
            }
            if index % 2:
                body["timezone"] = "Europe/Paris"
            batch = call("POST", f"{API}/batch-calls", json=body).json()["data"]["id"]
            call("GET", f"{API}/batch-calls/{batch}")
            call("PATCH", f"{API}/batch-calls/{batch}", json={"name": f"Bench {index}b"})
            call("GET", f"{API}/batch-calls", params={"limit": 5})
            call("GET", f"{API}/batch-calls/{batch}/contacts")
        call("GET", f"{API}/agents")
    return exchanges


def time_traffic(old: Path, count: int, directory: Path) -> None:
    session = record_session()
    har = directory / "traffic.har"
    started = time.perf_counter()
    write_har(har, (session[i % len(session)] for i in range(count)), "benchmarks/diff.py", "1")
    written = time.perf_counter() - started
    new = directory / "timezone.json"
    document = json.loads(old.read_text())
    document["components"]["schemas"]["BatchCallCreateRequest"]["required"].append("timezone")
    new.write_text(json.dumps(document), encoding="utf-8")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    code, out = quiet_main(["diff", str(old), str(new), "--traffic", str(har), "--format", "json"])
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    [impact] = json.loads(out)["traffic"]
    print(
        f"diff --traffic: {count:,} exchanges ({har.stat().st_size / 2**20:.0f} MiB of HAR, written in "
        f"{written:.1f} s; a session of {len(session)} real exchanges repeated)"
    )
    print(f"  {elapsed:.1f} s ({count / elapsed:,.0f} exchanges/s), exit {code}: {impact['headline']}")
    print(
        f"  peak memory of this process: {after / 1024:.0f} MiB (before the replay: {before / 1024:.0f} MiB)"
    )


def main_() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--exchanges", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        old = ROOT / "openapi.json"
        time_spec_diff(old, changed_spec(directory), args.runs)
        time_traffic(old, args.exchanges, directory)


if __name__ == "__main__":
    main_()
