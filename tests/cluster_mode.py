"""The HTTP suites against a PostgreSQL-backed pair (`pytest --cluster`): `make_client()` then answers a
client on a round-robin forwarder in front of two `batchcalls-mock serve --store postgresql://…`
instances, checking every answer against the spec like the in-process one.

Starting two instances costs seconds, so pairs are kept for the session, one pool per set of flags:
a new pair is on a new database, and a pair used before is handed out after a full reset (`POST
/_mock/reset?scope=all`: "back to a fresh start with the same settings and seed"); either way its
journal is emptied. A test holding two clients at once gets two pairs. Tests marked `in_process`
need an app in this process and are skipped; `cluster_xfail` ones are strict xfails.
"""

from __future__ import annotations

import contextlib
import os
import ssl
import subprocess
from typing import Any

import httpx
import pg_cluster
from instances import ownership
from response_checker import ResponseChecker
from round_robin import Forwarder, forwarding

from mock_server.flags import arguments_for, flag_fields
from mock_server.settings import Settings

ENV = "BATCHCALLS_CLUSTER"  # set by `--cluster`; read by support.make_client
SERVER_ENV = "BATCHCALLS_PG_SERVER"  # host:port of a running PostgreSQL to use instead of a new one
# One TLS context for every client (never used: plain http), since building one costs ~50 ms
_TLS = ssl.create_default_context()
# Settings fields a pair's serve flags can set: each with a flag (mock_server/settings.py) but where
# the state is kept (a pair keeps it in its PostgreSQL database) and whether webhooks may reach
# private networks (a pair listens on loopback, which allows them whatever the flag says); any other
# override cannot be given
NOT_FOR_A_PAIR = frozenset({"state_file", "store", "workers", "allow_private_webhooks"})
FLAGGED = frozenset(each.field for each in flag_fields(Settings)) - NOT_FOR_A_PAIR


def flags_for(start: float, seed: int, overrides: dict[str, Any]) -> tuple[str, ...]:
    unsupported = sorted(set(overrides) - FLAGGED)
    if unsupported:
        import pytest

        pytest.skip(f"cluster mode: no serve flag sets {', '.join(unsupported)}")
    pinned = {"clock": "manual", "start_at": start, "seed": seed, "quiet": True}
    return tuple(arguments_for(Settings, {**pinned, **dict(sorted(overrides.items()))}))


class Pair:
    """Two instances on one fresh database, and the forwarder in front of them."""

    def __init__(self, database: str, flags: tuple[str, ...], admin_token: str | None) -> None:
        from support import start_server

        self.flags, self.admin_token = flags, admin_token
        self._stack = contextlib.ExitStack()
        self.bases: list[str] = []
        try:
            for _ in range(2):  # one after the other: the first creates the schema
                process, base = start_server("--store", database, *ownership(), *flags)
                self._stack.callback(_stop, process)
                self.bases.append(base)
            self.url, self.forwarder = self._stack.enter_context(forwarding(self.bases))
        except BaseException:
            self._stack.close()
            raise

    def reset(self, everything: bool = True) -> None:
        """Back to a fresh start: a full reset (for a pair used before), and an empty journal (the
        reset is journaled, and so are the health checks of a new pair's start)."""
        headers = {"X-Mock-Admin-Token": self.admin_token} if self.admin_token else {}
        with httpx.Client(verify=_TLS, timeout=30) as control:
            if everything:
                answer = control.post(f"{self.url}/_mock/reset", params={"scope": "all"}, headers=headers)
                assert answer.status_code == 200, answer.text
            answer = control.delete(f"{self.url}/_mock/requests", headers=headers)
            assert answer.status_code == 204, answer.text

    def close(self) -> None:
        self._stack.close()


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()


class ClusterClient(httpx.Client):
    """An httpx client on a pair's forwarder that fails the test when an answer breaks the spec."""

    checkers: list[ResponseChecker]
    forwarder: Forwarder

    def __init__(self, pool: Pool, pair: Pair) -> None:
        super().__init__(base_url=pair.url, timeout=30, verify=_TLS)
        self._pool, self.pair = pool, pair

    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> httpx.Response:  # type: ignore[override]
        from support import check_answer

        response = super().request(method, url, *args, **kwargs)
        check_answer(self.checkers, method, str(url), response)
        return response

    def close(self) -> None:
        if not self.is_closed:
            super().close()
            self._pool.release(self.pair)

    def __exit__(self, *exc_info: object) -> None:  # httpx's own closes its transport only
        self.close()


class Pool:
    """Pairs kept for the session, keyed by their flags."""

    def __init__(self) -> None:
        self._postgres: pg_cluster.Postgres | None = None
        self._free: dict[tuple[str, ...], list[Pair]] = {}
        self._all: list[Pair] = []

    def _database(self) -> str:
        if self._postgres is None:
            server = os.environ.get(SERVER_ENV)
            if server:  # the parent test run's cluster: only databases are created here
                found = pg_cluster.bin_dir()
                assert found is not None, pg_cluster.HOW_TO_ENABLE
                self._postgres = pg_cluster.Postgres.attach(found, int(server.rsplit(":", 1)[1]))
            else:
                self._postgres = pg_cluster.start()
        return self._postgres.new_database()

    def client(self, flags: tuple[str, ...], admin_token: str | None,
               checkers: list[ResponseChecker]) -> ClusterClient:
        free = self._free.setdefault(flags, [])
        if free:
            pair = free.pop()
            pair.reset()
        else:
            pair = Pair(self._database(), flags, admin_token)
            self._all.append(pair)
            pair.reset(everything=False)
        client = ClusterClient(self, pair)
        client.checkers, client.forwarder = checkers, pair.forwarder
        return client

    def release(self, pair: Pair) -> None:
        self._free.setdefault(pair.flags, []).append(pair)

    def close(self) -> None:
        for pair in self._all:
            pair.close()
        if self._postgres is not None and not os.environ.get(SERVER_ENV):
            self._postgres.destroy()


_pool: Pool | None = None


def pool() -> Pool:
    global _pool
    if _pool is None:
        _pool = Pool()
    return _pool


def close_pool() -> None:
    if _pool is not None:
        _pool.close()
