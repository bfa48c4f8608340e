"""`GET /_mock/metrics`: what the sandbox counted, in Prometheus' text format (`prometheus-client`).

Nothing is computed on the request path here: `SandboxCollector` reads, when scraped, the counts of
`request_metrics.RequestMetrics`, the worlds in memory and their request journals, the webhook
outbox's attempts, the access log's lines dropped or lost and, with `--store`, this instance's
catch-up with the shared log. Each app has
its own `CollectorRegistry` (several apps live in one test process; the global registry is shared
by all of them). Label values are the sandbox's own words (dialects, operationIds, statuses,
results, kinds): never a workspace id or anything a tenant chose.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Protocol

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector

from mock_server.observe.recorder import JournaledWorld
from mock_server.observe.request_metrics import LATENCY_BUCKETS_MS, OTHER_STATUS, RequestMetrics

CONTENT_TYPE = CONTENT_TYPE_LATEST


class CountedOutbox(Protocol):
    @property
    def attempts(self) -> Mapping[str, int]: ...  # webhook attempts made here, by result


class CountedSandbox(Protocol):
    """What the collector reads of the sandbox (`sandbox.Sandbox`)."""

    @property
    def worlds(self) -> Mapping[str, JournaledWorld]: ...

    @property
    def evicted(self) -> int: ...

    @property
    def outbox(self) -> CountedOutbox: ...


class CatchUp(Protocol):
    """This instance's catch-up with a shared log (`cluster/replica.Replica`)."""

    @property
    def rows_applied(self) -> int: ...

    @property
    def lag_seconds(self) -> float: ...

    @property
    def forwarded(self) -> int: ...

    @property
    def from_memory(self) -> int: ...

    @property
    def group_commits(self) -> tuple[int, int]: ...  # owners' commits, and the writes they carried

    @property
    def idle_evicted(self) -> int: ...

    @property
    def handed_over(self) -> int: ...


class CountedLog(Protocol):
    """What the access log counts of the lines it could not write (`access_log.AccessLog`)."""

    @property
    def dropped(self) -> int: ...  # the stream did not keep up: never queued

    @property
    def lost(self) -> int: ...  # a write failed


class SandboxCollector(Collector):
    """What `GET /_mock/metrics` reports, read from where it is counted at each scrape."""

    def __init__(self, requests: RequestMetrics, sandbox: CountedSandbox, catch_up: CatchUp | None = None,
                 log: CountedLog | None = None) -> None:
        self.requests = requests
        self.sandbox = sandbox
        self.catch_up = catch_up
        self.log = log

    def collect(self) -> Iterator[Metric]:
        yield from self._requests()
        yield from self._worlds()
        attempts = CounterMetricFamily("batchcalls_webhook_attempts", "Webhook delivery attempts this "
                                       "instance made, by result: delivered (2xx), rejected (another "
                                       "status), failed (no answer).", labels=["result"])
        for result, count in self.sandbox.outbox.attempts.items():
            attempts.add_metric([result], count)
        yield attempts
        faults = CounterMetricFamily("batchcalls_faults_fired", "Fault rules that fired, by what they "
                                     "did.", labels=["kind"])
        for kind, count in self.requests.faults.items():
            faults.add_metric([kind], count)
        yield faults
        if self.catch_up is not None:
            yield from self._catch_up(self.catch_up)
        if self.log is not None:
            yield CounterMetricFamily("batchcalls_access_log_lines_dropped", "Access-log lines dropped "
                                      "because the stream did not keep up (a request never waits for "
                                      "it).", value=self.log.dropped)
            yield CounterMetricFamily("batchcalls_access_log_lines_lost", "Access-log lines a failed "
                                      "write lost.", value=self.log.lost)

    def _requests(self) -> Iterator[Metric]:
        requests = CounterMetricFamily("batchcalls_requests", "Requests answered, by dialect, operation "
                                       "(operationId, or unmatched) and status.",
                                       labels=["dialect", "operation", "status"])
        latency = HistogramMetricFamily("batchcalls_request_duration_seconds", "Time from a request's "
                                        "arrival to its answer sent, by dialect and operation.",
                                        labels=["dialect", "operation"])
        bounds: tuple[float, ...] = (*LATENCY_BUCKETS_MS, float("inf"))
        for counts in self.requests.counts():
            labels = [counts.dialect, counts.operation]
            for status, answered in counts.statuses.items():
                if answered:  # a series only once there is something to count
                    shown = "other" if status == OTHER_STATUS else str(status)
                    requests.add_metric([*labels, shown], answered)
            timings = counts.timings
            if timings[-1] or any(timings[:-1]):
                buckets: list[tuple[str, float]] = []
                total = 0.0
                for bound, observed in zip(bounds, timings[:-1], strict=True):
                    total += observed
                    buckets.append(("+Inf" if bound == float("inf") else repr(bound / 1000), total))
                latency.add_metric(labels, buckets, timings[-1] / 1000)
        yield requests
        yield latency

    def _worlds(self) -> Iterator[Metric]:
        worlds = list(self.sandbox.worlds.values())
        yield GaugeMetricFamily("batchcalls_worlds", "Worlds (workspaces) this instance knows.",
                                value=len(worlds))
        yield GaugeMetricFamily("batchcalls_worlds_dormant", "Of them, those whose state is not in this "
                                "instance's memory (--ownership: served by another instance, or idle); "
                                "their next request restores them.",
                                value=sum(not world.in_memory for world in worlds))
        yield CounterMetricFamily("batchcalls_worlds_evicted", "Worlds dropped from memory: deleted "
                                  "workspaces, and every world a reset of everything replaced.",
                                  value=self.sandbox.evicted)
        held = [world.journal for world in worlds if world.in_memory]  # (a dormant one holds none)
        yield GaugeMetricFamily("batchcalls_journal_entries", "Entries held by the request journals "
                                "of every world.", value=sum(len(journal) for journal in held))
        yield GaugeMetricFamily("batchcalls_journal_bytes", "Bytes held by the request journals of "
                                "every world, as they count against --journal-max-bytes.",
                                value=sum(journal.bytes for journal in held))

    def _catch_up(self, catch_up: CatchUp) -> Iterator[Metric]:
        yield CounterMetricFamily("batchcalls_cluster_catchup_rows", "Rows of the shared log this "
                                  "instance applied after another wrote them (--store).",
                                  value=catch_up.rows_applied)
        yield SummaryMetricFamily("batchcalls_cluster_catchup_lag_seconds", "How long after its commit "
                                  "each row was applied here (--store).", count_value=catch_up.rows_applied,
                                  sum_value=catch_up.lag_seconds)
        yield CounterMetricFamily("batchcalls_cluster_forwarded", "Requests this instance forwarded to "
                                  "their workspace's owner (--ownership).", value=catch_up.forwarded)
        yield CounterMetricFamily("batchcalls_cluster_reads_from_memory", "Reads this instance answered "
                                  "from memory, as the owner of their workspace (--ownership).",
                                  value=catch_up.from_memory)
        commits, writes = catch_up.group_commits
        yield CounterMetricFamily("batchcalls_cluster_group_commits", "Commits of owners' writes, each "
                                  "carrying the writes in flight together (--ownership).", value=commits)
        yield CounterMetricFamily("batchcalls_cluster_group_committed_writes", "Owners' writes those "
                                  "commits carried (--ownership).", value=writes)
        yield CounterMetricFamily("batchcalls_cluster_idle_evicted", "Worlds this instance dropped from "
                                  "memory after --idle-evict unused (--ownership).",
                                  value=catch_up.idle_evicted)
        yield CounterMetricFamily("batchcalls_cluster_handed_over", "Workspaces this instance handed to "
                                  "another, owning more than its share of the live instances' "
                                  "(--ownership).", value=catch_up.handed_over)


def metrics_registry(collector: SandboxCollector) -> CollectorRegistry:
    """A registry of this app's own (not the process-wide one)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    """The text a scrape is answered (`CONTENT_TYPE`)."""
    return generate_latest(registry)
