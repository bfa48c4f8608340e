"""CPU cost of one request inside the app, with no server and no socket: µs per request.

Calls the ASGI app directly (as uvicorn would, minus the network) for the three requests of
benchmarks/http.py: GET one batch call, GET a list of 50, POST a create with an idempotency key.
Garbage collection is tuned as `batchcalls-mock serve` tunes it. Use it to see what a change to
the pipeline costs before measuring through HTTP.

    python benchmarks/in_process.py [--requests 3000]
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/http.py would shadow the standard library's `http`: drop this folder from the path
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import asyncio
import gc
import time
from collections.abc import Callable
from typing import Any

import orjson

from benchmarks.lifted_quotas import LIFTED
from mock_server.app import create_app
from mock_server.cli import tune_garbage_collector
from mock_server.settings import Settings
from mock_server.testing.asgi_exchange import exchange

API = "/api/public/v1"
KEY = b"sk_test_sandbox"
BODY = b'{"name":"Bench","agent_id":"agt_sandbox_ready","contacts":[{"phone_number":"+14155550101"}]}'


def scope(method: str, path: str, query: bytes = b"", extra: tuple[tuple[bytes, bytes], ...] = ()) -> Any:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query, "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"authorization", b"Bearer " + KEY), *extra],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 2),
    }


def post_scope(key: str) -> Any:
    return scope("POST", f"{API}/batch-calls", extra=(
        (b"content-type", b"application/json"), (b"content-length", b"%d" % len(BODY)),
        (b"x-idempotency-key", key.encode()),
    ))


async def call(app: Any, request: Any, body: bytes = b"") -> list[dict[str, Any]]:
    return await exchange(app, request, body)


async def measure(requests: int) -> dict[str, float]:
    app = create_app(Settings(clock="manual", **LIFTED))
    ids = []
    for i in range(50):
        sent = await call(app, post_scope(f"seed-{i}"), BODY)
        ids.append(orjson.loads(sent[1]["body"])["data"]["id"])
    cases: dict[str, Callable[[int], tuple[Any, bytes]]] = {
        "GET /batch-calls/{id}": lambda i: (scope("GET", f"{API}/batch-calls/{ids[0]}"), b""),
        "GET /batch-calls?limit=50": lambda i: (scope("GET", f"{API}/batch-calls", b"limit=50"), b""),
        "POST /batch-calls": lambda i: (post_scope(f"bench-{i}"), BODY),
    }
    tune_garbage_collector()
    results = {}
    for name, make in cases.items():
        for i in range(requests // 10):  # warm up
            await call(app, *make(-i - 1))
        started = time.perf_counter()
        for i in range(requests):
            sent = await call(app, *make(i))
        results[name] = (time.perf_counter() - started) / requests * 1e6
        assert sent[0]["status"] in (200, 201), sent
    gc.unfreeze()
    return results


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--requests", type=int, default=3000, help="requests per endpoint (default 3000)")
    opts = args.parse_args()
    for name, micros in asyncio.run(measure(opts.requests)).items():
        print(f"{name:<28} {micros:7.1f} µs per request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
