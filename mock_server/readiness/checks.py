"""The readiness checks: plain functions over one session's exchanges, registered by id.

Each takes the `Session` facts and returns a `Finding` (a status and the request or delivery ids
that show it). Titles and advice live in `advice.py`; the verdict in `grading.py`.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from mock_server.readiness.exchanges import GET_ONE_OPERATION, Exchange, WebhookDelivery

Status = Literal["passed", "failed", "not_observed", "warning"]

NETWORK_ALLOWANCE_SECONDS = 0.1  # honors_retry_after: a request may arrive this early
REPEATS_ALLOWED = 2  # no_hammering_on_errors: resends of a refused request that are still fine
ACK_SECONDS = 5.0  # webhook_acknowledges_fast
POLL_WINDOW_SECONDS = 60.0  # polling_is_reasonable: at most one read a second over a minute
POLLS_PER_WINDOW = 60
# 4xx answers a client is right to send again (after waiting): not "refused by a rule"
RETRYABLE_4XX = frozenset({408, 409, 425, 429})


@dataclass(frozen=True, slots=True)
class Session:
    """What one readiness session saw, in arrival order.

    Every check costs time linear in the exchanges (and deliveries) it is given, whatever they are
    (tests/readiness/test_linear_grading.py counts it): a session of 10,000 requests is graded on
    the event loop that serves every tenant."""

    exchanges: Sequence[Exchange]
    deliveries: Sequence[WebhookDelivery] = ()
    unavailable_request_id: str | None = None  # the create answered 503 by the challenge
    receiver_configured: bool = False
    dropped_requests: int = 0  # requests of the session the request journal no longer holds


@dataclass(frozen=True, slots=True)
class Finding:
    status: Status
    evidence: list[str] = field(default_factory=list)


Check = Callable[[Session], Finding]
CHECKS: dict[str, Check] = {}


def check(check_id: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        CHECKS[check_id] = fn
        return fn

    return register


def _ids(exchanges: Sequence[Exchange]) -> list[str]:
    return [e.request_id for e in exchanges]


@check("idempotency_key_on_create")
def idempotency_key_on_create(session: Session) -> Finding:
    creates = [e for e in session.exchanges if e.is_create]
    if not creates:
        return Finding("not_observed")
    missing = [e for e in creates if e.idempotency_key is None]
    return Finding("failed", _ids(missing)) if missing else Finding("passed", _ids(creates))


@check("retry_reuses_idempotency_key")
def retry_reuses_idempotency_key(session: Session) -> Finding:
    refused = next((e for e in session.exchanges if e.request_id == session.unavailable_request_id), None)
    if refused is None:
        return Finding("not_observed")
    retry = next(
        (e for e in session.exchanges if e.is_create and e.received_at >= refused.answered_at
         and e.request_id != refused.request_id),
        None,
    )
    if retry is None:
        return Finding("not_observed", [refused.request_id])
    same = (
        refused.idempotency_key is not None
        and retry.idempotency_key == refused.idempotency_key
        and retry.request_body == refused.request_body
    )
    return Finding("passed" if same else "failed", [refused.request_id, retry.request_id])


class _Unseen:
    """Positions 0..n-1, each taken at most once; `next(i)` is the first not taken from i on.
    Skipping what is taken (union-find, path halving) keeps overlapping windows from being read
    again: every position is visited about once, however many windows cover it."""

    def __init__(self, n: int) -> None:
        self._next = list(range(n + 1))

    def next(self, i: int) -> int:
        nexts = self._next
        while nexts[i] != i:
            nexts[i] = nexts[nexts[i]]
            i = nexts[i]
        return i

    def take(self, i: int) -> None:
        self._next[i] = i + 1


@check("honors_retry_after")
def honors_retry_after(session: Session) -> Finding:
    exchanges = sorted(session.exchanges, key=lambda e: e.received_at)  # already so: one pass
    told = [(e, e.retry_after()) for e in exchanges if e.status in (429, 503)]
    waits = [(e, seconds) for e, seconds in told if seconds is not None]
    if not waits:
        return Finding("not_observed")
    arrivals = [e.received_at for e in exchanges]
    unseen = _Unseen(len(exchanges))
    early: dict[str, None] = {}  # the ids in the order first found, each once
    for refused, seconds in waits:
        # a request already on its way when the answer left cannot have known about it: the window
        # is [answered, answered + Retry-After - allowance), found by bisection in arrival order
        start = bisect_left(arrivals, refused.answered_at)
        end = bisect_left(arrivals, refused.answered_at + seconds - NETWORK_ALLOWANCE_SECONDS)
        if start >= end:
            continue
        early[refused.request_id] = None
        i = unseen.next(start)
        while i < end:  # those of the window not listed by an earlier one
            early[exchanges[i].request_id] = None
            unseen.take(i)
            i = unseen.next(i + 1)
    if early:
        return Finding("failed", list(early))
    return Finding("passed", [e.request_id for e, _ in waits])


def _refused_by_rule(e: Exchange) -> bool:
    return 400 <= e.status < 500 and e.status not in RETRYABLE_4XX


def _fingerprint(e: Exchange) -> tuple[str, str, tuple[tuple[str, str], ...], str]:
    return e.method, e.path, tuple(sorted(e.query)), json.dumps(e.request_body, sort_keys=True)


@check("no_hammering_on_errors")
def no_hammering_on_errors(session: Session) -> Finding:
    if not session.exchanges:
        return Finding("not_observed")
    refused_at: dict[Any, Exchange] = {}
    resends: dict[Any, list[Exchange]] = defaultdict(list)
    for e in session.exchanges:
        print_ = _fingerprint(e)
        if print_ in refused_at:
            resends[print_].append(e)
        elif _refused_by_rule(e):
            refused_at[print_] = e
    hammered = [
        [refused_at[p].request_id, *_ids(again)]
        for p, again in resends.items()
        if len(again) > REPEATS_ALLOWED
    ]
    if hammered:
        return Finding("failed", [rid for group in hammered for rid in group])
    return Finding("passed", [e.request_id for e in refused_at.values()])


@check("sends_valid_requests")
def sends_valid_requests(session: Session) -> Finding:
    first = next((e for e in session.exchanges if e.succeeded), None)
    if first is None:
        return Finding("not_observed")
    after = [e for e in session.exchanges if e.received_at >= first.received_at and e is not first]
    invalid = [e for e in after if e.validation_errors]
    return Finding("failed", _ids(invalid)) if invalid else Finding("passed", [first.request_id])


def _rejects(session: Session, kind: str) -> Finding:
    """A challenge delivery must be refused with a 4xx: its first answered attempt decides."""
    if not session.receiver_configured:
        return Finding("not_observed")
    answered = [
        (d, a) for d in session.deliveries if d.kind == kind for a in d.attempts if a.status_code is not None
    ]
    if not answered:
        return Finding("not_observed", [d.id for d in session.deliveries if d.kind == kind])
    delivery, attempt = answered[0]
    status = attempt.status_code or 0
    return Finding("passed" if 400 <= status < 500 else "failed", [delivery.id])


@check("webhook_rejects_bad_signature")
def webhook_rejects_bad_signature(session: Session) -> Finding:
    return _rejects(session, "bad_signature")


@check("webhook_rejects_stale_timestamp")
def webhook_rejects_stale_timestamp(session: Session) -> Finding:
    return _rejects(session, "stale_timestamp")


@check("webhook_acknowledges_fast")
def webhook_acknowledges_fast(session: Session) -> Finding:
    if not session.receiver_configured:
        return Finding("not_observed")
    real = [d for d in session.deliveries if d.kind == "real" and d.attempts]
    if not real:
        return Finding("not_observed")
    slow = [
        d.id for d in real
        if any(
            a.status_code is None or not 200 <= a.status_code < 300
            or a.answered_in_seconds is None or a.answered_in_seconds > ACK_SECONDS
            for a in d.attempts
        )
    ]
    return Finding("failed", slow) if slow else Finding("passed", [d.id for d in real])


def _batch_reads(session: Session) -> dict[str, list[Exchange]]:
    reads: dict[str, list[Exchange]] = defaultdict(list)
    for e in session.exchanges:
        if e.method == "GET" and e.operation_id == GET_ONE_OPERATION:
            reads[e.path].append(e)
    return reads


@check("polling_is_reasonable")
def polling_is_reasonable(session: Session) -> Finding:
    reads = _batch_reads(session)
    if not reads:
        return Finding("not_observed")
    for same_batch in reads.values():
        start = 0
        for end, e in enumerate(same_batch):  # a sliding minute over the reads of one batch
            while e.received_at - same_batch[start].received_at >= POLL_WINDOW_SECONDS:
                start += 1
            if end - start + 1 > POLLS_PER_WINDOW:
                return Finding("warning", _ids(same_batch[start : end + 1]))
    return Finding("passed", [group[0].request_id for group in reads.values()])


def _page(e: Exchange) -> tuple[int, bool] | None:
    """(offset, has_more) of a list answer, or None when it is not a paged list."""
    body = e.response_body
    if not (e.method == "GET" and e.succeeded and isinstance(body, dict)):
        return None
    pagination = body.get("pagination")
    if not isinstance(pagination, dict) or "has_more" not in pagination:
        return None
    offset = pagination.get("offset", 0)
    return (offset if isinstance(offset, int) else 0), pagination["has_more"] is True


def _filters(e: Exchange) -> tuple[str, tuple[tuple[str, str], ...]]:
    return e.path, tuple(sorted((k, v) for k, v in e.query if k not in ("offset", "limit")))


def _offset(e: Exchange) -> int:
    value = e.query_value("offset") or "0"
    return int(value) if value.isdigit() else 0


def _largest_offset_later(exchanges: Sequence[Exchange]) -> dict[int, int]:
    """For each exchange (by `id`), the largest offset asked for strictly later (received after it)
    with the same path and filters; -1 when none. One pass per listing, from its newest request back."""
    listings: dict[Any, list[Exchange]] = defaultdict(list)
    for e in sorted(exchanges, key=lambda e: e.received_at):
        listings[_filters(e)].append(e)
    later: dict[int, int] = {}
    for same in listings.values():
        best, end = -1, len(same)
        while end > 0:  # a block of requests received at one instant is not "later" than itself
            start = end - 1
            while start > 0 and same[start - 1].received_at == same[end - 1].received_at:
                start -= 1
            block = same[start:end]
            for e in block:
                later[id(e)] = best
            best = max(best, *(_offset(e) for e in block))
            end = start
    return later


@check("reads_all_pages")
def reads_all_pages(session: Session) -> Finding:
    with_more = [(e, page[0]) for e in session.exchanges if (page := _page(e)) is not None and page[1]]
    if not with_more:
        return Finding("not_observed")
    later = _largest_offset_later(session.exchanges)
    unread = [e.request_id for e, offset in with_more if later[id(e)] <= offset]
    return Finding("failed", unread) if unread else Finding("passed", [e.request_id for e, _ in with_more])
