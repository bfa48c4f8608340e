"""Recorded traffic as a consumer contract: replay each exchange of a HAR file against OLD and NEW.

What counts is what changes for the client: a request OLD accepts and NEW would refuse, a
response in OLD's contract that is out of NEW's, a request to an operation NEW no longer has.
Requests that are no operation of OLD are counted, not judged; what OLD refused already is a
defect of the client or the server, not of the change, and is counted apart.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from contracts.evolution.operations import OperationRef
from contracts.evolution.result import Example, OperationTraffic, TrafficImpact
from contracts.evolution.validation import Answer, Judge, request_of
from contracts.har import RecordedExchange, read_har

MAX_REASONS = 50  # distinct reasons counted; more are counted as "other reasons"
SHOWN_REASONS = 5


@dataclass(slots=True)
class _Tally:
    requests: int = 0
    refused: int = 0
    responses_out: int = 0
    removed: int = 0


class _Replay:
    def __init__(self, old: Judge, new: Judge) -> None:
        self.old, self.new = old, new
        self.requests = self.unmatched = self.refused = self.already_refused = 0
        self.responses_out = self.already_out = self.removed = 0
        self.first: dict[str, Example] = {}
        self.operations: dict[str, _Tally] = {}
        self.reasons: Counter[str] = Counter()

    def exchange(self, index: int, exchange: RecordedExchange) -> None:
        self.requests += 1
        path = urlsplit(exchange.url).path or "/"
        before = self.old.route(exchange.method, path)
        if before is None:
            self.unmatched += 1
            return
        after = self.new.route(exchange.method, path)
        if after is None:
            self.removed += 1
            self._tally(before[0].label).removed += 1
            self.first.setdefault("removed", Example(before[0].label, "NEW has no such operation", index))
            return
        operation, values = after
        tally = self._tally(operation.label)
        tally.requests += 1
        headers = {n.lower(): v for n, v in exchange.request_headers}
        request = request_of(
            exchange.method, exchange.url, headers, exchange.request_body, exchange.request_media_type
        )
        if self.new.request_problem(operation, values, request, explain=False) is not None:
            if self.old.request_problem(before[0], before[1], request, explain=False) is not None:
                self.already_refused += 1
            else:
                reason = self.new.request_problem(operation, values, request, explain=True) or "refused"
                self.refused += 1
                tally.refused += 1
                self._reason(reason)
                self.first.setdefault("refused", Example(operation.label, reason, index))
        if exchange.status:
            self._response(index, exchange, before[0], operation, tally)

    def _response(
        self,
        index: int,
        exchange: RecordedExchange,
        old_op: OperationRef,
        operation: OperationRef,
        tally: _Tally,
    ) -> None:
        headers = {n.lower(): v for n, v in exchange.response_headers}
        answer = Answer(exchange.status, headers, exchange.response_media_type, exchange.response_body)
        if self.new.response_problem(operation, answer, explain=False) is None:
            return
        if self.old.response_problem(old_op, answer, explain=False) is not None:
            self.already_out += 1
            return
        self.responses_out += 1
        tally.responses_out += 1
        reason = self.new.response_problem(operation, answer, explain=True) or "out of contract"
        self.first.setdefault("response", Example(operation.label, reason, index))

    def _tally(self, label: str) -> _Tally:
        tally = self.operations.get(label)
        if tally is None:
            tally = self.operations[label] = _Tally()
        return tally

    def _reason(self, reason: str) -> None:
        if reason in self.reasons or len(self.reasons) < MAX_REASONS:
            self.reasons[reason] += 1
        else:
            self.reasons["other reasons"] += 1

    def impact(self, source: str) -> TrafficImpact:
        return TrafficImpact(
            source=source,
            requests=self.requests,
            unmatched=self.unmatched,
            refused=self.refused,
            already_refused=self.already_refused,
            responses_out=self.responses_out,
            already_out=self.already_out,
            removed=self.removed,
            first_refused=self.first.get("refused"),
            first_response_out=self.first.get("response"),
            first_removed=self.first.get("removed"),
            by_operation=tuple(
                OperationTraffic(label, t.requests, t.refused, t.responses_out, t.removed)
                for label, t in self.operations.items()
            ),
            reasons=tuple(self.reasons.most_common(SHOWN_REASONS)),
        )


def replay(path: Path, old: Judge, new: Judge, source: str | None = None) -> TrafficImpact:
    """The impact of NEW on the clients whose traffic the HAR file recorded."""
    run = _Replay(old, new)
    for index, exchange in enumerate(read_har(path)):
        run.exchange(index, exchange)
    return run.impact(source or path.name)
