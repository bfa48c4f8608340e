"""The noisy tenant of `noisy_neighbour.py`: the worst things one tenant (and the admin) may do.

Two workspaces of its own, each with a manual clock, 100 fault rules of 2,048 characters (the
`--max-fault-rules` cap, patterns at their maximum size, none of them firing), a readiness session
armed before the journal is filled, and a webhook receiver: in the first a slow one (it reads each
delivery and never answers: every attempt holds its slot for the whole 5 s), in the second a dead
one (every attempt refused). Then each actor below runs in a closed loop on a connection of its own
until told to stop, and counts what it did.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from raw_http import Connection, Header

API = "/api/public/v1"
MAX_BODY = 1_048_576  # `--max-body-bytes`, the default
MAX_HEADER_FIELDS, MAX_HEADER_BYTES = 100, 32 * 1024  # the sandbox's 431 limits
MAX_FAULT_RULES = 100  # `--max-fault-rules`, the default
JSON = ("Content-Type", "application/json")
Actor = Callable[[Connection], Awaitable[None]]


def padded_headers(auth: list[Header], host: str) -> list[Header]:
    """`auth` plus padding headers: 100 fields and 32 KiB of names and values less 64 bytes (the
    client adds `Content-Length` to a write, and the Host header counts too)."""
    room = MAX_HEADER_BYTES - 64 - len("host") - len(host) - sum(len(n) + len(v) for n, v in auth)
    count = MAX_HEADER_FIELDS - 2 - len(auth)
    names = [f"x-pad-{n:02d}" for n in range(count)]
    size = (room - sum(map(len, names))) // count
    return [*auth, *((name, "p" * size) for name in names)]


def contacts_body(valid: bool) -> bytes:
    """A create with 10,000 contacts (the spec's maximum) padded to just under the body limit;
    invalid: every phone number wrong, so the 422 lists 10,000 violations."""

    def body(pad: int) -> bytes:
        contacts = [{"phone_number": f"+1415{n:07d}" if valid else f"0{n:011d}", "first_name": "n" * pad}
                    for n in range(10_000)]
        return json.dumps({"name": "noise", "agent_id": "agt_sandbox_ready", "contacts": contacts},
                          separators=(",", ":")).encode()

    pad = 100
    while len(made := body(pad)) >= MAX_BODY:
        pad -= 1
    return made


def csv_body() -> bytes:
    """A CSV import of 10,000 rows (the most one takes), padded to just under the body limit: the
    first import adds them to the workspace's contacts, the next ones find them all there."""
    pad = 100
    while True:
        rows = [f"+1415{n:07d},{'f' * pad},{'l' * pad}" for n in range(10_000)]
        body = ("phone_number,first_name,last_name\n" + "\n".join(rows) + "\n").encode()
        if len(body) < MAX_BODY:
            return body
        pad -= 1


def zudu_body() -> bytes:
    pad = (MAX_BODY - 2_000) // 1_000 - 120
    tasks = [{"to_number": f"+1415{n:07d}", "dynamic_variables": {"note": "v" * pad}} for n in range(1_000)]
    body = json.dumps({"from_number": "+14157774444", "tasks": tasks, "name": "noise"}).encode()
    assert len(body) < MAX_BODY, len(body)
    return body


FAULT_HEAD = f"{API}/"
FAULT_PARTS = (2048 - len(FAULT_HEAD) - 3) // 2  # the `*b`s of a pattern of 2,048 characters
# a path that every rule scans to its last `*b` before failing: the most a rule can cost
SCANNED_PATH = FAULT_HEAD + "b" * (FAULT_PARTS - 1) + "ls"


def fault_rule(status: int = 503) -> bytes:
    """A rule of 2,048 characters, `/api/public/v1/*b*b…*b*ls`, that never fires on the paths sent
    here: each `b` is looked for after the last, and none of them has that many."""
    pattern = FAULT_HEAD + "*b" * FAULT_PARTS + "*ls"
    assert len(pattern) == 2048, len(pattern)
    return json.dumps({"path": pattern, "status": status}).encode()


def template(limit: int = 2048) -> str:
    """A journal filter of as many `{name}` segments as fit in `limit` characters."""
    parts: list[str] = []
    while sum(map(len, parts)) + len(f"/{{n{len(parts)}}}") <= limit:
        parts.append(f"/{{n{len(parts)}}}")
    return "".join(parts)


class Noise:
    def __init__(self, host: str, port: int, admin: str, tenants: list[dict[str, Any]]) -> None:
        self.host, self.port, self.admin = host, port, admin
        self.tenants = tenants  # [{"api_key", "zudu": {...}, "workspace_id"}] x 2
        self.done: dict[str, int] = {}
        self.slowest: dict[str, float] = {}
        self.statuses: dict[str, dict[int, int]] = {}
        self.stop = asyncio.Event()
        self.bodies = {"valid": contacts_body(True), "invalid": contacts_body(False),
                       "csv": csv_body(), "zudu": zudu_body()}

    def auth(self, tenant: int) -> list[Header]:
        return [("Authorization", f"Bearer {self.tenants[tenant]['api_key']}")]

    def connect(self) -> Connection:
        return Connection(self.host, self.port)

    async def call(self, conn: Connection, label: str, method: str, target: str,
                   headers: list[Header], body: bytes = b"") -> tuple[int, bytes]:
        started = time.perf_counter()
        status, answer = await conn.request(method, target, headers, body)
        took = time.perf_counter() - started
        self.done[label] = self.done.get(label, 0) + 1
        self.slowest[label] = max(self.slowest.get(label, 0.0), took)
        counts = self.statuses.setdefault(label, {})
        counts[status] = counts.get(status, 0) + 1
        return status, answer

    # -- set-up --------------------------------------------------------------------------------
    async def setup(self, slow_port: int, dead_port: int) -> None:
        conn = self.connect()
        for tenant, port in enumerate((slow_port, dead_port)):
            auth = [*self.auth(tenant), JSON]
            await self.call(conn, "setup", "PUT", "/_mock/webhooks", auth,
                            json.dumps({"url": f"http://127.0.0.1:{port}/hooks"}).encode())
            for _ in range(MAX_FAULT_RULES):
                status, _ = await self.call(conn, "setup", "POST", "/_mock/faults", auth, fault_rule())
                assert status == 201, status
            status, _ = await self.call(conn, "setup", "POST", "/_mock/faults", auth, fault_rule())
            assert status == 409, f"the fault-rule cap is not {MAX_FAULT_RULES}: {status}"
            await self.call(conn, "setup", "POST", "/_mock/readiness/start", self.auth(tenant))
        conn.close()

    async def fill(self, requests: int, connections: int = 8) -> None:
        """The second workspace's journal full of small, varied requests (its count bound); the
        first one's fills by bytes as the actors run."""
        counter = itertools.count()

        async def one(conn: Connection) -> None:
            while (n := next(counter)) < requests:
                kind = n % 4
                if kind == 0:
                    body = json.dumps({"name": f"fill {n}", "agent_id": "agt_sandbox_ready",
                                       "contacts": [{"phone_number": f"+1415{n:07d}"}]}).encode()
                    await self.call(conn, "fill", "POST", f"{API}/batch-calls",
                                    [*self.auth(1), JSON, ("X-Idempotency-Key", f"fill-{n}")], body)
                elif kind == 1:
                    await self.call(conn, "fill", "GET", f"{API}/batch-calls?limit=5&offset={n % 50}",
                                    self.auth(1))
                elif kind == 2:
                    await self.call(conn, "fill", "GET", f"{API}/batch-calls/batch_missing{n}", self.auth(1))
                else:
                    await self.call(conn, "fill", "POST", f"{API}/batch-calls", [*self.auth(1), JSON], b"{}")

        await asyncio.gather(*(one(self.connect()) for _ in range(connections)))

    # -- the actors ----------------------------------------------------------------------------
    async def big_heads(self, conn: Connection) -> None:
        """Heads just under the 431 limit; every other one with a body at the limit as well."""
        heads = padded_headers(self.auth(0), f"{self.host}:{self.port}")
        for n in itertools.count():
            if n % 4 == 1:
                await self.call(conn, "heads", "GET", f"{API}/batch-calls?limit=100", heads)
            elif n % 4 == 3:
                await self.call(conn, "heads, scanned path", "GET", SCANNED_PATH, heads)
            else:
                await self.call(conn, "heads+body", "POST", f"{API}/batch-calls", [*heads[:-1], JSON],
                                self.bodies["invalid"])
            if self.stop.is_set():
                return

    async def big_bodies(self, conn: Connection) -> None:
        """1 MiB bodies: 10,000 contacts created (then deleted: memory is not what is measured),
        10,000 invalid ones, a CSV import, a Zudu batch of 1,000 tasks."""
        auth = self.auth(0)
        zudu = self.tenants[0]["zudu"]
        zudu_auth = [("X-API-KEY", zudu["api_key"]), ("X-API-SECRET", zudu["api_secret"]), JSON]
        for n in itertools.count():
            kind = n % 4
            if kind == 0:
                status, answer = await self.call(conn, "create 10k contacts", "POST", f"{API}/batch-calls",
                                                 [*auth, JSON], self.bodies["valid"])
                if status == 201:
                    batch = json.loads(answer)["data"]["id"]
                    await self.call(conn, "delete", "DELETE", f"{API}/batch-calls/{batch}", auth)
            elif kind == 1:
                await self.call(conn, "422 of 10k violations", "POST", f"{API}/batch-calls",
                                [*auth, JSON], self.bodies["invalid"])
            elif kind == 2:
                await self.call(conn, "CSV import", "POST", f"{API}/contacts/import",
                                [*auth, ("Content-Type", "text/csv")], self.bodies["csv"])
            else:
                status, answer = await self.call(conn, "Zudu 1k tasks", "POST", "/batch-call", zudu_auth,
                                                 self.bodies["zudu"])
                if status == 201:
                    batch = json.loads(answer)["data"]["batch_call_id"]
                    await self.call(conn, "delete", "DELETE", f"/batch-call/{batch}", zudu_auth[:2])
            if self.stop.is_set():
                return

    async def journal(self, conn: Connection) -> None:
        """The largest pages and counts, filtered by templates of many names, in both workspaces."""
        long_template, short = quote(template()), quote("/{a}/{b}/{c}/{d}")
        queries = ["limit=1000", "limit=1000&offset=5000", f"limit=1000&path={long_template}",
                   f"limit=1000&path={short}", "limit=1000&method=POST&status=422"]
        counts = [f"path={long_template}", f"path={short}/%7Be%7D", "method=GET"]
        for n in itertools.count():
            tenant = n % 2
            if n % 3 == 2:
                query = counts[n // 3 % len(counts)]
                await self.call(conn, "journal count", "GET", f"/_mock/requests/count?{query}",
                                self.auth(tenant))
            else:
                await self.call(conn, "journal page of 1,000", "GET",
                                f"/_mock/requests?{queries[n % len(queries)]}", self.auth(tenant))
            if self.stop.is_set():
                return

    async def readiness(self, conn: Connection) -> None:
        for n in itertools.count():
            kind = ("json", "md", "html")[n % 3]
            await self.call(conn, f"readiness {kind}", "GET", f"/_mock/readiness?format={kind}",
                            self.auth(n // 3 % 2))
            if self.stop.is_set():
                return

    async def faults(self, conn: Connection) -> None:
        """The rules churned at their cap: one removed, one added, all listed."""
        for n in itertools.count(1000):
            auth = [*self.auth(n % 2), JSON]
            _, listed = await self.call(conn, "faults list", "GET", "/_mock/faults", auth[:1])
            first = json.loads(listed)["data"][0]["id"]
            await self.call(conn, "faults churn", "DELETE", f"/_mock/faults/{first}", auth[:1])
            await self.call(conn, "faults churn", "POST", "/_mock/faults", auth, fault_rule())
            if self.stop.is_set():
                return

    async def idempotency(self, conn: Connection) -> None:
        """A create under a new key each time, and a replay of the one before: the keys at their cap."""
        body = json.dumps({"name": "keyed", "agent_id": "agt_sandbox_ready",
                           "contacts": [{"phone_number": "+14155550100"}]}).encode()
        for n in itertools.count():
            for key in (f"noise-{n}", f"noise-{max(0, n - 1)}"):
                await self.call(conn, "idempotency", "POST", f"{API}/batch-calls",
                                [*self.auth(1), JSON, ("X-Idempotency-Key", key)], body)
            if self.stop.is_set():
                return

    async def webhooks(self, conn: Connection) -> None:
        """Events for the slow and the dead receiver: a 100-call campaign run in each workspace's
        manual clock, one simulated hour at a time."""
        for n in itertools.count():
            tenant = n % 2
            auth = [*self.auth(tenant), JSON]
            body = json.dumps({"name": "events", "agent_id": "agt_sandbox_ready", "max_concurrent_calls": 50,
                               "working_days": [1, 2, 3, 4, 5, 6, 7], "start_time": "00:00",
                               "end_time": "23:59", "contacts": [{"phone_number": f"+1415{c:07d}"}
                                                                 for c in range(100)]}).encode()
            status, answer = await self.call(conn, "campaign", "POST", f"{API}/batch-calls", auth, body)
            if status == 201:
                batch = json.loads(answer)["data"]["id"]
                await self.call(conn, "campaign", "POST", f"{API}/batch-calls/{batch}/schedule", auth[:1])
            await self.call(conn, "clock advance 1 h", "POST", "/_mock/clock/advance", auth,
                            b'{"seconds": 3600}')
            await self.call(conn, "deliveries list", "GET", "/_mock/webhooks/deliveries", auth[:1])
            if self.stop.is_set():
                return

    async def admin(self, conn: Connection) -> None:
        """Workspaces created up to `--max-workspaces`, listed, then deleted, again and again."""
        token = [("X-Mock-Admin-Token", self.admin)]
        made: list[str] = []
        while not self.stop.is_set():
            status, answer = await self.call(conn, "workspace create", "POST", "/_mock/workspaces", token)
            if status == 201:
                made.append(json.loads(answer)["workspace_id"])
                if len(made) % 100 == 0:
                    await self.call(conn, "workspace list", "GET", "/_mock/workspaces", token)
                continue
            await self.call(conn, "workspace list", "GET", "/_mock/workspaces", token)
            while made and not self.stop.is_set():
                await self.call(conn, "workspace delete", "DELETE", f"/_mock/workspaces/{made.pop()}", token)

    ACTORS: dict[str, Callable[[Noise, Connection], Awaitable[None]]] = {
        "heads": big_heads, "bodies": big_bodies, "journal": journal, "readiness": readiness,
        "faults": faults, "idempotency": idempotency, "webhooks": webhooks, "admin": admin,
    }

    async def run(self, actors: list[str]) -> None:
        connections = [self.connect() for _ in actors]
        try:
            await asyncio.gather(*(self.ACTORS[name](self, conn)
                                   for name, conn in zip(actors, connections, strict=True)))
        finally:
            for conn in connections:
                conn.close()


async def hold_forever(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """The slow receiver: reads what comes and never answers, until the sandbox gives up."""
    with contextlib.suppress(ConnectionError, asyncio.CancelledError):
        while await reader.read(65536):
            pass
    writer.close()


def dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_noise(config: dict[str, Any], commands: Any, stop: Any, results: Any) -> None:
    """The noise process: set up and fill, then for each list of actors `commands` brings, make that
    noise until `stop` is set and answer what was done; None ends it. Everything it sends back goes
    through `results`: "ready" once filled, then a dict per list of actors."""
    os.nice(config["nice"])

    async def main() -> None:
        slow = await asyncio.start_server(hold_forever, "127.0.0.1", 0)
        noise = Noise(config["host"], config["port"], config["admin"], config["tenants"])
        await noise.setup(slow.sockets[0].getsockname()[1], dead_port())
        await noise.fill(config["fill"])
        results.put("ready")
        loop = asyncio.get_running_loop()
        while (actors := await loop.run_in_executor(None, commands.get)) is not None:
            noise.stop.clear()
            noise.done, noise.slowest, noise.statuses = {}, {}, {}
            running = asyncio.ensure_future(noise.run(actors))
            while not stop.is_set() and not running.done():
                await asyncio.sleep(0.05)
            noise.stop.set()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(running), 60)
            stop.clear()
            failed = running.exception() if running.done() else None
            results.put({"done": noise.done, "slowest": noise.slowest, "statuses": noise.statuses,
                         **({"error": repr(failed)} if failed else {})})
        slow.close()

    asyncio.run(main())
