"""What one more ASGI layer around the app would cost: µs of CPU per GET by id, in-process.

The request journal and the access log are not a middleware of their own, and nothing wraps
`receive` or `send` for them (docs/ARCHITECTURE.md, "Observing"). This measures what that choice
saves: the same app called directly, and behind a pass-through layer that wraps both, in alternating
rounds, the fastest round of each kept (CPU time of this process, so other load mostly cancels out).

    python benchmarks/wrapping_layer.py [--rounds 25] [--requests 400]
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/http.py would shadow the standard library's `http`: drop this folder from the path
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import time
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from benchmarks.in_process import API, BODY, call, post_scope, scope
from mock_server.app import create_app
from mock_server.cli import tune_garbage_collector
from mock_server.settings import Settings


class PassThrough:
    """A layer that wraps `receive` and `send` and does nothing else."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, request: Scope, receive: Receive, send: Send) -> None:
        async def received() -> Message:
            return await receive()

        async def sent(message: Message) -> None:
            await send(message)

        await self.app(request, received, sent)


async def measure(rounds: int, requests: int) -> dict[str, float]:
    app = create_app(Settings(clock="manual", quiet=True))
    created = await call(app, post_scope("wrapping-layer"), BODY)
    path = f"{API}/batch-calls/{orjson.loads(created[1]['body'])['data']['id']}"
    apps: dict[str, Any] = {"bare": app, "wrapped": PassThrough(app)}
    tune_garbage_collector()
    best = dict.fromkeys(apps, float("inf"))
    for _ in range(rounds):
        for name, served in apps.items():
            started = time.process_time()
            for _ in range(requests):
                sent = await call(served, scope("GET", path))
            assert sent[0]["status"] == 200, sent
            best[name] = min(best[name], (time.process_time() - started) / requests * 1e6)
    return best


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--rounds", type=int, default=25, help="alternating rounds (default 25)")
    args.add_argument("--requests", type=int, default=400, help="requests per round and app (default 400)")
    opts = args.parse_args()
    best = asyncio.run(measure(opts.rounds, opts.requests))
    bare, wrapped = best["bare"], best["wrapped"]
    print(f"GET by id: bare {bare:.1f} µs, wrapped {wrapped:.1f} µs, the layer {wrapped - bare:.2f} µs "
          f"({(wrapped - bare) / bare:.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
