"""What a readiness report costs: the grade alone, and the whole report as `GET /_mock/readiness`
makes it (the world's request journal read back, redacted, and graded), for 10,000 and 100,000
requests in one session.

Grading runs on the event loop that serves every tenant, so it must stay linear (issue 20, defect 5:
10,000 requests took 9.2 s). Two sessions per size: a mix of what a client does (creates, reads,
pages, refused requests, 429s) and the worst case of before (every answer a page with more to read
and a Retry-After to wait; each check compared every request with every other). The fastest of
`--rounds` is kept, as CPU time of this process.

    python benchmarks/readiness_grading.py [--sizes 10000 100000] [--rounds 3]
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/http.py would shadow the standard library's `http`: drop this folder from the path
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import orjson

from mock_server.control.dialect import journal_hidden_headers
from mock_server.dialects.truedy.credentials import BEARER_KEY
from mock_server.dialects.zudu.credentials import KEY_AND_SECRET
from mock_server.observe.request_journal import Journal
from mock_server.readiness import Session, grade
from mock_server.readiness_session import ReadinessSession, graded_exchange

API = "/api/public/v1"
T0 = 1_800_000_000.0
HIDDEN = journal_hidden_headers((BEARER_KEY, KEY_AND_SECRET))
CREATE = orjson.dumps({"name": "Spring", "agent_id": "agt_sandbox_ready"})
HEADERS = [(b"authorization", b"Bearer sk_test_sandbox"), (b"content-type", b"application/json")]


def page(offset: int) -> bytes:
    return orjson.dumps({"data": [{"id": f"batch_{offset}"}],
                         "pagination": {"total": 10**9, "limit": 1, "offset": offset, "has_more": True}})


def mixed(i: int) -> tuple[str, str, bytes, str, bytes, int, list[tuple[bytes, bytes]], bytes]:
    """(method, path, query, operation, request body, status, answer headers, answer body)."""
    kind = i % 6
    if kind == 0:
        return "POST", f"{API}/batch-calls", b"", "create_batch_call", CREATE, 201, [], b'{"data":{}}'
    if kind == 1:
        return "GET", f"{API}/batch-calls/batch_{i % 50}", b"", "get_batch_call", b"", 200, [], b'{"data":{}}'
    if kind == 2:
        query = b"limit=1&offset=%d" % i
        return "GET", f"{API}/batch-calls", query, "list_batch_calls", b"", 200, [], page(i)
    if kind == 3:
        body = b'{"error":{"code":"no_contacts"}}'
        return "POST", f"{API}/batch-calls/batch_{i}/schedule", b"", "schedule_batch_call", b"", 422, [], body
    if kind == 4:
        return "GET", f"{API}/agents", b"", "list_agents", b"", 429, [(b"retry-after", b"2")], b"{}"
    return "GET", f"{API}/agents", b"", "list_agents", b"", 200, [], b'{"data":[]}'


def worst(i: int) -> tuple[str, str, bytes, str, bytes, int, list[tuple[bytes, bytes]], bytes]:
    """Every answer a page with more to read, never read on, and a Retry-After never waited."""
    return ("GET", f"{API}/batch-calls", b"limit=1&offset=%d&folder_id=f%d" % (i, i % 7), "list_batch_calls",
            b"", 429 if i % 2 else 200, [(b"retry-after", b"30")], page(i))


Kind = Callable[[int], tuple[str, str, bytes, str, bytes, int, list[tuple[bytes, bytes]], bytes]]


def journal_of(kind: Kind, n: int) -> Journal:
    journal = Journal(size=n, max_bytes=2**62)
    for i in range(n):
        method, path, query, operation, body, status, answer_headers, answer = kind(i)
        journal.record((
            f"req_{i:012x}", T0 + i * 0.05, T0, "ws_1", method, path, query, operation, None, HEADERS, body,
            status, answer_headers, answer, 2.0, None, False, None, False, True, 1,
        ))
    return journal


def best_of(rounds: int, work: Callable[[], Any]) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args.add_argument("--rounds", type=int, default=3)
    opts = args.parse_args()
    print(f"{'requests':>9} {'session':<7} {'grade s':>8} {'report s':>9} {'µs/request':>11}")
    for n in opts.sizes:
        for name, kind in (("mixed", mixed), ("worst", worst)):
            journal = journal_of(kind, n)
            session = ReadinessSession("ws_1", T0, journal, 0)
            exchanges = [graded_exchange(e, HIDDEN) for e in journal.since(0)[0]]
            grading = best_of(opts.rounds, partial(grade, Session(exchanges), "ws_1", "t"))
            whole = best_of(opts.rounds, partial(session.report, [], False, HIDDEN))
            print(f"{n:>9} {name:<7} {grading:>8.3f} {whole:>9.3f} {whole / n * 1e6:>11.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
