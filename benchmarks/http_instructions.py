"""Instructions a server executes per HTTP request (callgrind): benchmarks/http.py's ratios without
the machine's load.

    python benchmarks/http_instructions.py [--requests 1000] [--before PATH]

Each server (the sandbox with its default flags, the sandbox with `--quiet --journal-size 0`, the
bare app of benchmarks/bare_app.py answering the sandbox's own bytes, and with `--before` the
sandbox of another checkout) runs under `valgrind --tool=callgrind` with instrumentation off; this
process sends each of the three requests of benchmarks/http.py over one keep-alive connection,
300 to warm up, then switches instrumentation on (`callgrind_control`) around `--requests` more.
What is counted is everything the server process runs in user space for a request: uvicorn,
httptools, uvloop, the app (not the kernel's socket work, nor the load client). Requests are sent
one at a time, so the event loop's cost is not shared between concurrent requests as under wrk.
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/http.py would shadow the standard library's `http`: drop this folder from the path
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import http.client
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable

from benchmarks.bare_app import ANSWERS_VARIABLE
from benchmarks.http import (
    BODY,
    ENDPOINTS,
    KEY,
    ROOT,
    free_port,
    record_answers,
    seed_batches,
    server,
)
from benchmarks.lifted_quotas import LIFTED_FLAGS

WARM_UP = 300
Sender = Callable[[http.client.HTTPConnection, int], None]
VALGRIND = ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--callgrind-out-file=/dev/null"]


def requests_of(batch_id: str) -> dict[str, Sender]:
    auth = {"Authorization": f"Bearer {KEY}"}
    api = "/api/public/v1"

    def get_one(connection: http.client.HTTPConnection, i: int) -> None:
        connection.request("GET", f"{api}/batch-calls/{batch_id}", headers=auth)

    def get_list(connection: http.client.HTTPConnection, i: int) -> None:
        connection.request("GET", f"{api}/batch-calls?limit=50", headers=auth)

    def create(connection: http.client.HTTPConnection, i: int) -> None:
        connection.request("POST", f"{api}/batch-calls", body=BODY, headers={
            **auth, "Content-Type": "application/json", "X-Idempotency-Key": f"bench-{i}"})

    return dict(zip(ENDPOINTS, (get_one, get_list, create), strict=True))


def instrument(pid: int, on: bool) -> None:
    subprocess.run(["callgrind_control", "--instr=on" if on else "--instr=off", str(pid)],
                   capture_output=True, check=True, timeout=120)


def collected(pid: int) -> int:
    """Instructions counted so far, all threads together (`callgrind_control -e`: a line per thread)."""
    out = subprocess.run(["callgrind_control", "-e", str(pid)], capture_output=True, text=True, check=True,
                         timeout=120).stdout
    counts = re.findall(r"^\s*Th\s+\d+\s+([\d,]+)", out, re.MULTILINE)
    if not counts and re.search(r"^\s*Totals:\s+Ir\s*$", out, re.MULTILINE):
        return 0  # nothing counted yet since instrumentation went on: no line per thread
    if not counts:
        raise RuntimeError(f"no instruction count in callgrind_control's answer: {out[-500:]}")
    return sum(int(count.replace(",", "")) for count in counts)


def exchange(connection: http.client.HTTPConnection, send: Sender, number: int) -> None:
    """One request and its whole answer."""
    send(connection, number)
    answer = connection.getresponse()
    answer.read()
    if answer.status >= 300:
        raise RuntimeError(f"answered {answer.status}")


def measure(pid: int, port: int, batch_id: str, requests: int) -> dict[str, float]:
    """Thousands of instructions per request of each kind, on one running server."""
    results = {}
    for endpoint, send in requests_of(batch_id).items():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        for number in range(WARM_UP):
            exchange(connection, send, -number - 1)
        instrument(pid, True)  # (counts can be read only while it is on; the server is idle meanwhile)
        before = collected(pid)
        for number in range(requests):
            exchange(connection, send, number)
        results[endpoint] = (collected(pid) - before) / requests / 1000
        instrument(pid, False)
        connection.close()
    return results


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    args.add_argument("--requests", type=int, default=1000, help="measured requests per kind (1000)")
    args.add_argument("--before", type=Path, help="also measure the sandbox of this checkout")
    opts = args.parse_args()
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    sandboxes = {"sandbox": (ROOT, []), "sandbox, no log": (ROOT, ["--quiet", "--journal-size", "0"])}
    if opts.before is not None:
        before = opts.before.resolve()
        sandboxes |= {f"before: {name}": (before, flags) for name, (_, flags) in sandboxes.items()}
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        answers = Path(tmp) / "answers.json"
        for name, (checkout, flags) in sandboxes.items():
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            command = [*VALGRIND, sys.executable, "-m", "mock_server", "serve", "--port", str(port),
                       "--clock", "manual", *LIFTED_FLAGS, *flags]
            with server(command, f"{base}/_mock/health", timeout=300, pin=False, cwd=checkout) as pid:
                batch_id = seed_batches(base)
                if not answers.exists():
                    record_answers(base, batch_id, answers)
                results[name] = measure(pid, port, batch_id, opts.requests)
        port = free_port()
        command = [*VALGRIND, sys.executable, "-m", "uvicorn", "benchmarks.bare_app:create", "--factory",
                   "--port", str(port), "--host", "127.0.0.1", "--log-level", "warning", "--no-access-log",
                   "--no-proxy-headers", "--no-server-header"]
        with server(command, f"http://127.0.0.1:{port}/api/public/v1/batch-calls", timeout=300, pin=False,
                    env={ANSWERS_VARIABLE: str(answers)}) as pid:
            results["bare starlette"] = measure(pid, port, "batch_1", opts.requests)
    print(f"{'server':<24} " + " ".join(f"{endpoint:>26}" for endpoint in ENDPOINTS))
    for name, by_endpoint in results.items():
        print(f"{name:<24} " + " ".join(f"{by_endpoint[endpoint]:>26.1f}" for endpoint in ENDPOINTS))
    bare = results["bare starlette"]
    for name, by_endpoint in results.items():
        if name != "bare starlette":
            print(f"bare / {name:<17} " + " ".join(
                f"{bare[endpoint] / by_endpoint[endpoint]:>25.2f}x" for endpoint in ENDPOINTS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
