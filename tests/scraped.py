"""`GET /_mock/metrics` as the tests read it: parsed with prometheus-client's own parser into
(sample name, labels) -> value."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parsed(answer: Any) -> Samples:
    """The samples of an answer to `GET /_mock/metrics` (an httpx response), which must be a 200 in
    Prometheus' text format."""
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """A sample's value; 0 when it is absent (a series appears once there is something to count)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def requests(samples: Samples, dialect: str, operation: str, status: str) -> float:
    return value(samples, "batchcalls_requests_total", dialect=dialect, operation=operation, status=status)
