"""`batchcalls-contract proxy`: a validation proxy (Prism's `proxy`, with state).

Put it between any client (a partner's integration tests, a staging app) and the server: it
forwards every request unchanged and checks each exchange against the spec, the profile's response
checks and the batches' documented lifecycle; `GET /_contract/report` answers the findings so far,
and the reports are written when it stops (SIGINT or SIGTERM).

- `contract`  the spec: operations by method and path, schema checks of bodies (pure)
- `observer`  the requirements the exchanges fill in (pure)
- `wire`      what is forwarded (request targets, headers) and the copies the checks see (pure)
- `server`    the forwarding ASGI app, and its bounds against slow or hostile clients
- `har_file`  `--har FILE`: the exchanges written as HAR 1.2, bounded
"""

from __future__ import annotations

import contextlib
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import uvicorn

from contracts.bounded_heads import bounded_heads
from contracts.command_line import bound_socket, listen
from contracts.config import new_run_id
from contracts.dialects import KitDialect, dialect_of
from contracts.errors import UsageError
from contracts.har import HAR_FILE_MAX_BYTES
from contracts.proxy.contract import Contract
from contracts.proxy.har_file import HarRecording
from contracts.proxy.observer import Observations
from contracts.proxy.server import REPORT_PATH, Limits, Proxy
from contracts.report import write_reports
from contracts.report.console import summary
from contracts.results import RunResult
from contracts.spec import facts, load_document
from contracts.target import check_base_url

MAX_CONNECTIONS = 1024  # connections and requests at once; uvicorn answers 503 past it


class _Server(uvicorn.Server):
    """Stops on SIGINT/SIGTERM without raising the signal again after shutdown (uvicorn does, which
    would end the process before the reports are written)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        def stop(signum: int, frame: FrameType | None) -> None:
            if self.should_exit:
                self.force_exit = True
            self.should_exit = True

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


@dataclass(frozen=True, slots=True)
class ProxyConfig:
    target: str
    spec_path: Path
    host: str = "127.0.0.1"
    port: int = 8090
    timeout: float = 60.0
    client_timeout: float = 30.0
    report_md: Path | None = None
    junit_xml: Path | None = None
    report_html: Path | None = None
    dialect: KitDialect | None = None  # the API's profile; None: the kit's profile the spec names
    har: Path | None = None
    har_max_bytes: int = HAR_FILE_MAX_BYTES


def build(config: ProxyConfig) -> Proxy:
    document = load_document(config.spec_path)
    dialect = config.dialect or dialect_of(document)
    observations = Observations(Contract(document), dialect, facts(document))
    limits = Limits(client_timeout=config.client_timeout)
    target = check_base_url(config.target)
    proxy = Proxy(target, observations, config.timeout, limits)
    if config.har is not None:
        proxy.har = HarRecording(config.har, proxy.redaction, config.har_max_bytes)
    return proxy


def result_of(proxy: Proxy, elapsed: float) -> RunResult:
    result = RunResult(new_run_id(), proxy.target, 0, ("proxy",))
    result.requirements = proxy.observations.snapshot()
    result.elapsed = elapsed
    if proxy.check_crashes:
        result.errors.append(f"{proxy.check_crashes} exchanges could not be checked (a bug of the kit)")
    return result


def run_proxy(config: ProxyConfig) -> int:
    """Serve until SIGINT/SIGTERM; then write the reports. 0: no finding, 1: findings."""
    proxy = build(config)
    try:
        sock = bound_socket(config.host, config.port)
    except OSError as exc:
        raise UsageError(f"cannot listen on {config.host}:{config.port}: {exc.strerror}") from None
    listen(sock)
    port = sock.getsockname()[1]
    print(
        f"contract proxy listening on http://{config.host}:{port} -> {proxy.target} "
        f"(findings so far: GET {REPORT_PATH})",
        flush=True,
    )
    server = _Server(
        uvicorn.Config(
            proxy,
            log_level="warning",
            access_log=False,
            lifespan="on",
            ws="none",
            server_header=False,  # the target's Server and Date are forwarded; the proxy adds none
            date_header=False,
            limit_concurrency=MAX_CONNECTIONS,
            http=bounded_heads(config.client_timeout),  # a head, like a body, within --client-timeout
        )
    )
    started = time.monotonic()
    server.run(sockets=[sock])
    proxy.drain()
    result = result_of(proxy, time.monotonic() - started)
    print(summary(result), flush=True)
    if proxy.har is not None:
        print(proxy.har.summary(), flush=True)
    for path in write_reports(result, config.junit_xml, config.report_md, config.report_html):
        print(f"report: {path}", flush=True)
    sys.stdout.flush()
    return 0 if not result.findings else 1
