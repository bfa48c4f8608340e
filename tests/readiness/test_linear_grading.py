"""Grading costs time linear in the requests a session saw (issue 20, defect 5: 10,000 requests took
9.2 s, quadratic). Proved by counting, not by timing: every read of an exchange's fields is counted
(a counting fake of `Exchange`), and four times the requests must cost at most about four times the
reads, for every check and for the whole grade, on the inputs that were quadratic (pages with more to
read, answers with a Retry-After) and on a mix of everything. The times are in
benchmarks/readiness_grading.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any

import pytest
from readiness.builders import create, entry, page, read_batch, unavailable

from mock_server.readiness import CHECKS, Exchange, Session, grade

READS = [0]  # field reads of every CountingExchange, since the last reset


class CountingExchange(Exchange):
    """An Exchange that counts every attribute read (fields, properties, methods alike)."""

    __slots__ = ()

    def __getattribute__(self, name: str) -> Any:
        READS[0] += 1
        return super().__getattribute__(name)


def counting(e: Exchange) -> CountingExchange:
    return CountingExchange(**{f.name: getattr(e, f.name) for f in fields(Exchange)})


def paged_lists(n: int) -> list[Exchange]:
    """List answers that each say there is more, at growing offsets, none read to the end."""
    return [page(i * 0.5, i, True, query={"limit": "1", "offset": str(i), "folder_id": f"f{i % 7}"})
            for i in range(n)]


def retry_afters(n: int) -> list[Exchange]:
    """A 429 with Retry-After after every other request, and requests arriving too soon after them."""
    return [entry(i * 0.01, status=429, response_headers={"Retry-After": "30"}) if i % 2 else entry(i * 0.01)
            for i in range(n)]


def everything(n: int) -> list[Exchange]:
    makers: list[Callable[[float], Exchange]] = [
        lambda at: unavailable(at), lambda at: create(at, key=None), lambda at: create(at, 422, key="k"),
        lambda at: read_batch(at, f"batch_{int(at) % 5}"), lambda at: page(at, int(at), True),
        lambda at: entry(at, status=503, response_headers={"Retry-After": "2"}),
        lambda at: entry(at, validation_errors=[{"loc": ["query", "limit"], "msg": "no", "type": "x"}],
                         status=422),
    ]
    return [makers[i % len(makers)](i * 0.3) for i in range(n)]


WORKLOADS = {"paged_lists": paged_lists, "retry_afters": retry_afters, "everything": everything}


def reads(grader: Callable[[Session], object], exchanges: list[Exchange]) -> int:
    session = Session([counting(e) for e in exchanges], unavailable_request_id=exchanges[0].request_id)
    READS[0] = 0
    grader(session)
    return READS[0]


def whole_grade(session: Session) -> object:
    return grade(session, "ws_1", "2026-12-01T09:00:00Z")


GRADERS: dict[str, Callable[[Session], object]] = {**CHECKS, "grade": whole_grade}


@pytest.mark.parametrize("workload", WORKLOADS)
@pytest.mark.parametrize("grader", GRADERS)
def test_four_times_the_requests_cost_at_most_four_times_the_reads(workload: str, grader: str) -> None:
    build = WORKLOADS[workload]
    small, large = build(500), build(2000)
    counted_small, counted_large = reads(GRADERS[grader], small), reads(GRADERS[grader], large)
    assert counted_large <= 4 * counted_small + 400, (counted_small, counted_large)


def test_the_counting_fake_counts() -> None:
    """The fake sees reads at all: a grader that reads each exchange's status n times is counted."""
    assert reads(lambda s: [e.status for e in s.exchanges], paged_lists(10)) == 10
