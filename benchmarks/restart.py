"""Restart time of a state file after many journaled requests: snapshots bound it.

Writes N state-changing requests through the app with `--state-file` (1% creates of a draft, 99%
renames of one, 256 at a time so group commit batches the fsyncs), stops, then times a restart:
opening the file, restoring the latest snapshot and replaying the rows after it. Prints the
figures as JSON. Run it on a quiet machine; 1,000,000 requests take several minutes to write.

    python benchmarks/restart.py [--requests 1000000] [--snapshot-every 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)  # benchmarks/http.py must not shadow the standard library's http

import orjson  # noqa: E402

from mock_server.app import create_app  # noqa: E402
from mock_server.settings import Settings  # noqa: E402

AUTH = [(b"authorization", b"Bearer sk_test_sandbox"), (b"content-type", b"application/json")]
DRAFT = orjson.dumps({"name": "draft", "agent_id": "agt_sandbox_ready", "contact_source": "csv",
                      "contacts": [{"phone_number": "+14155550101"}]})


async def call(app: Any, method: str, path: str, body: bytes) -> tuple[int, bytes]:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "headers": AUTH, "client": None, "server": ("bench", 0)}
    sent: list[Any] = []
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> Any:
        return pending.pop() if pending else {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


async def write(settings: Settings, requests: int) -> float:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        started = time.perf_counter()
        ids: list[str] = []
        done = 0
        while done < requests:
            batch = []
            for n in range(done, min(done + 256, requests)):
                if n % 100 == 0 or not ids:
                    batch.append(call(app, "POST", "/api/public/v1/batch-calls", DRAFT))
                else:
                    target = ids[n % len(ids)]
                    body = orjson.dumps({"name": f"renamed {n}"})
                    batch.append(call(app, "PATCH", f"/api/public/v1/batch-calls/{target}", body))
            for status, body in await asyncio.gather(*batch):
                if status == 201:
                    ids.append(orjson.loads(body)["data"]["id"])
            done += len(batch)
        return time.perf_counter() - started


async def restart(settings: Settings) -> dict[str, Any]:
    started = time.perf_counter()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        seconds = time.perf_counter() - started
        report = app.state.persistence.report
        return {"restart_seconds": round(seconds, 2), "rows_replayed": report.requests,
                "snapshot_after_row": report.snapshot_seq, "replay_mismatches": len(report.mismatches)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--snapshot-every", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "state.db"
        specs = {}  # copies: the benchmark's settings must not change if the checkout does meanwhile
        for name in ("spec_path", "zudu_spec_path", "control_spec_path"):
            specs[name] = Path(folder) / getattr(Settings(), name).name
            specs[name].write_bytes(getattr(Settings(), name).read_bytes())
        settings = Settings(clock="manual", start_at=1772438400.0, state_file=path,
                            snapshot_every=args.snapshot_every, **specs)
        wrote = asyncio.run(write(settings, args.requests))
        with sqlite3.connect(path) as db:
            rows = db.execute("SELECT count(*) FROM requests").fetchone()[0]
            snapshot = db.execute("SELECT length(state) FROM snapshot").fetchone()
        figures = asyncio.run(restart(settings))
        print(json.dumps({
            "requests_journaled": args.requests,
            "write_seconds": round(wrote, 1),
            "rows_left_in_file": rows,
            "snapshot_bytes": snapshot[0] if snapshot else 0,
            "file_mib": round(path.stat().st_size / 2**20, 1),
            **figures,
        }, indent=2))


if __name__ == "__main__":
    main()
