"""Memory of one workspace filled to its quotas, measured with tracemalloc, beside what the quotas
count (`--max-batches`, `--max-contacts`, `--max-folders`, `--max-stored-bytes`, at their defaults).

Each scenario fills a fresh sandbox through HTTP (in process, no journal) until the API answers
`409 quota_exceeded`, then prints the quota that refused, what the workspace holds as counted, and
the memory tracemalloc sees it hold:

- counts: 1,000 Truedy batch calls of 49 contacts, directory contacts, 1,000 folders: the count
  quotas, full;
  then every batch scheduled and called to the end (call state, analytics, events);
- long names: Truedy contacts whose first and last names are 100 characters outside ASCII;
- variables: Zudu tasks whose dynamic_variables are 5 KB of JSON in tiny keys (the costliest shape);
- directory: contacts imported with 100-character names and 254-character emails.

    python benchmarks/workspace_footprint.py [--scenario NAME ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/http.py would shadow the standard library's http, which the test client imports
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import gc
import json
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient

from mock_server.app import create_app
from mock_server.services.quota import held
from mock_server.settings import Settings

START_AT = 1_772_438_400.0  # Monday 2 March 2026 08:00 UTC
API = "/api/public/v1"
AUTH = {"Authorization": "Bearer sk_test_sandbox"}
ZUDU = {"X-API-KEY": "zk_test_sandbox", "X-API-SECRET": "zs_test_sandbox"}
BATCH = {"name": "footprint", "agent_id": "agt_sandbox_ready"}


def sandbox() -> tuple[TestClient, Any]:
    settings = Settings(clock="manual", start_at=START_AT, journal_size=0, max_body_bytes=16 * 1_048_576,
                        quiet=True)
    app = create_app(settings)
    return TestClient(app), app.state.sandbox.default_world


def number(i: int) -> str:
    return f"+1{2_000_000_000 + i}"


def fill(send: Callable[[int], Any]) -> str:
    """Call `send(i)` until an answer is a 409; the quota that refused."""
    i = 0
    while True:
        answer = send(i)
        if answer.status_code == 409:
            error = answer.json()["error"]  # Truedy's {code, message, details}; Zudu's one sentence
            if isinstance(error, dict):
                return str(error["details"]["quota"])
            return str(error).split("(")[1].split(")")[0]
        assert answer.status_code in (200, 201), answer.text[:300]
        i += 1


def counts(client: TestClient) -> str:
    """1,000 batches of 49 contacts named "Ada Lovelace", then directory contacts and folders until
    refused: every count quota at its default, full."""

    def batch(i: int) -> Any:
        rows = [{"phone_number": number(i * 49 + j), "first_name": "Ada", "last_name": "Lovelace"}
                for j in range(49)]
        return client.post(f"{API}/batch-calls", headers=AUTH, json={**BATCH, "contacts": rows})

    refused = [fill(batch)]
    refused.append(fill(lambda i: client.post(
        f"{API}/contacts", headers=AUTH, json={"phone_number": number(900_000 + i), "first_name": "Ada"})))
    refused.append(fill(lambda i: client.post(
        f"{API}/contacts/folders", headers=AUTH, json={"name": f"folder {i}"})))
    return "+".join(refused)


def run_all(client: TestClient) -> None:
    """Schedule every batch and play the clock until all of them completed."""
    page = client.get(f"{API}/batch-calls", headers=AUTH, params={"limit": 100, "offset": 0})
    total = page.json()["pagination"]["total"]
    for offset in range(0, total, 100):
        listed = client.get(f"{API}/batch-calls", headers=AUTH, params={"limit": 100, "offset": offset})
        for item in listed.json()["data"]:
            client.post(f"{API}/batch-calls/{item['id']}/schedule", headers=AUTH)
    client.post("/_mock/clock/advance", headers=AUTH, json={"seconds": 365 * 86400})


def long_names(client: TestClient) -> str:
    name = "é" * 99 + "𝔸"  # one astral character: Python keeps every character in 4 bytes

    def batch(i: int) -> Any:
        rows = [{"phone_number": number(i * 5_000 + j), "first_name": name, "last_name": name}
                for j in range(5_000)]
        return client.post(f"{API}/batch-calls", headers=AUTH, json={**BATCH, "contacts": rows})

    return fill(batch)


def variables(client: TestClient) -> str:
    tiny: dict[str, None] = {}  # as many keys as 5 KB of JSON holds: each key is objects of its own
    while len(json.dumps({**tiny, f"k{len(tiny)}": None}, separators=(",", ":"))) <= 5_120:
        tiny[f"k{len(tiny)}"] = None

    def batch(i: int) -> Any:
        tasks = [{"to_number": number(i * 100 + j), "dynamic_variables": tiny} for j in range(100)]
        return client.post("/batch-call", headers=ZUDU, json={"from_number": "+14155550000", "tasks": tasks})

    return fill(batch)


def directory(client: TestClient) -> str:
    name = "ü" * 100
    email = "a" * 64 + "@" + ("b" * 63 + ".") * 2 + "c" * 57 + ".com"  # 254 characters, a valid address

    def upload(i: int) -> Any:
        lines = ["phone_number,first_name,last_name,email"]
        lines += [f"{number(i * 5_000 + j)},{name},{name},{email}" for j in range(5_000)]
        return client.post(f"{API}/contacts/import", headers={**AUTH, "Content-Type": "text/csv"},
                           content="\n".join(lines).encode())

    return fill(upload)


SCENARIOS: dict[str, Callable[[TestClient], str]] = {
    "counts": counts, "long names": long_names, "variables": variables, "directory": directory,
}


def measure(name: str, play: Callable[[TestClient], str]) -> None:
    gc.collect()
    tracemalloc.start()
    client, world = sandbox()
    client.get(f"{API}/batch-calls", headers=AUTH)  # warm: every lazy import and cache is built
    gc.collect()
    base = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    refused = play(client)
    seconds = time.perf_counter() - started
    report(name, refused, world, base, seconds)
    if name == "counts":
        run_all(client)
        report("counts, every call made", refused, world, base, time.perf_counter() - started)
    tracemalloc.stop()


def report(name: str, refused: str, world: Any, base: int, seconds: float) -> None:
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - base
    usage = held(world.store, world.workspace.id)
    mib = 1_048_576
    print(f"{name:24} refused by {refused:42} batches {usage.batch_calls:5} rows {usage.contacts:6} "
          f"folders {usage.contact_folders:4}  counted {usage.stored_bytes / mib:5.1f} MiB  "
          f"tracemalloc {used / mib:5.1f} MiB ({used / max(usage.stored_bytes, 1):.2f} of counted)  "
          f"{seconds:5.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", action="append", choices=list(SCENARIOS))
    for name in parser.parse_args().scenario or list(SCENARIOS):
        measure(name, SCENARIOS[name])


if __name__ == "__main__":
    main()
