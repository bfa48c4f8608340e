"""Chaos self-check: seeded random API and control requests with hostile values, zero violations.

    python scripts/chaos_self_check.py [--requests 20000] [--seed 1] [--state-file] [--restarts 5]

Starts `batchcalls-mock serve --clock manual` on a loopback port the OS picks, makes two more
workspaces (three in all, both dialects each), and sends a seeded random sequence of requests: the
API of both dialects and the control API (clock jumps, fault rules, webhooks), with values drawn from
a catalogue of hostile inputs (floats for integers, extreme numbers, huge and odd strings, control
characters, wrong types, CSV oddities, odd headers). With --state-file it also kill -9s the server
at random points and starts it again on the same file. Invariants, each break counted as a violation:
  - no 5xx, except an injected fault's;
  - every answer is JSON in the envelope of its API (Truedy's, Zudu's, the control API's);
  - `GET /_mock/health` stays 200;
  - a write to the control API that a page of another site can send (a foreign Origin, a form's
    body, a rebound Host) is refused: 403, 415 or 421;
  - hostile tenants (`chaos_tenants.py`) reach nothing of another: no answer carries another
    workspace's credentials, another's batch is a 404, every bound is a JSON 4xx at its edge;
  - a sentinel workspace nobody writes to answers the same throughout;
  - after every restart, every batch (lists, GET, the per-contact view, analytics) is what it was.
With --hosted the sandbox runs as a host would run it (`--admin-token`): setup is the admin's, and a
tenant's attempts at sandbox-wide operations must be 401s.
Exit 0 only with zero violations. Bounded by --requests and --time-limit.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from chaos_catalogue import (
    AGENTS,
    CLOCK_EXTREMES,
    CSV_ODDITIES,
    DELIBERATE_5XX,
    HOSTILE,
    HOSTILE_HEADERS,
    TEXT_PARTS,
)
from chaos_server import Server, serve_flags
from chaos_server import options as parse_options
from chaos_tenants import HostileTenant, Secrets

API = "/api/public/v1"
START = "2026-03-02T08:00:00Z"
START_MS = 1772438400000


class Chaos:
    def __init__(self, opts: argparse.Namespace, http: httpx.Client, server: Server | None = None) -> None:
        """`http`: a client of the sandbox; `server`: the process it runs in, for restarts."""
        self.opts = opts
        self.rng = random.Random(opts.seed)
        self.server = server
        self.http = http
        self.sent = 0
        self.violations: list[str] = []
        self.workspaces: list[dict[str, Any]] = []
        self.sentinel: dict[str, Any] = {}
        self.sentinel_view: Any = None
        self.secrets: Secrets | None = None
        self.hostile_tenant = HostileTenant(self)

    # -- sending and the per-answer invariants ---------------------------------------------
    def send(self, method: str, path: str, *, odd_headers: bool = True,
             **kwargs: Any) -> httpx.Response | None:
        """`odd_headers`: now and then a header of the catalogue in place of the request's own (off
        where the test wants the status the request itself must get)."""
        self.sent += 1
        if odd_headers and self.rng.random() < 0.05:
            name, value = self.rng.choice(HOSTILE_HEADERS)
            kwargs["headers"] = {**kwargs.get("headers", {}), name: value}
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.LocalProtocolError:
            return None  # the client would not send it (h11 refuses some header bytes): no finding
        except httpx.TransportError as exc:
            self.violate(f"{method} {path[:80]}: no answer ({type(exc).__name__})")
            return None
        self.check(method, response.request.url.path, response)  # as sent: a client folds `..`
        leaked = self.secrets.foreign_in(response.request.headers, response.text) if self.secrets else []
        if leaked:
            self.violate(f"{method} {path[:80]}: another workspace's credentials in the answer: {leaked}")
        return response

    def send_exact(self, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
        return self.send(method, path, odd_headers=False, **kwargs)

    def auth(self, ws: dict[str, Any]) -> dict[str, str]:
        return {"Authorization": f"Bearer {ws['api_key']}"}

    def violate(self, what: str) -> None:
        self.violations.append(what)
        if len(self.violations) <= 20:
            print(f"VIOLATION: {what}", file=sys.stderr)

    def check(self, method: str, path: str, response: httpx.Response) -> None:
        where = f"{method} {path[:80]} -> {response.status_code}"
        if response.status_code == 204 or method == "HEAD":
            return
        if path == "/_mock/readiness" and response.status_code == 200 and response.headers.get(
                "content-type", "").startswith(("text/markdown", "text/html")):
            return  # a report asked for as Markdown or HTML (`?format=`)
        if "json" not in response.headers.get("content-type", ""):
            kind = response.headers.get("content-type")
            self.violate(f"{where}: not JSON ({kind}): {response.text[:120]!r}")
            return
        try:
            body = response.json()
        except ValueError:
            self.violate(f"{where}: a body that does not parse")
            return
        if response.status_code >= 500 and not DELIBERATE_5XX.search(response.text):
            self.violate(f"{where}: {response.text[:200]}")
        if not isinstance(body, dict):
            self.violate(f"{where}: not an object")
        elif path.startswith("/_mock"):
            if response.status_code >= 400 and not isinstance(body.get("error"), dict):
                self.violate(f"{where}: not the control API's error envelope")
        elif path.startswith("/batch-call"):
            expected = "success" if response.status_code < 400 else "error"
            if body.get("status") != expected or not isinstance(body.get("message"), str):
                self.violate(f"{where}: not Zudu's envelope: {response.text[:120]}")
        elif response.status_code < 400:
            if "data" not in body:
                self.violate(f"{where}: a success without data")
        elif not isinstance(body.get("error"), dict) and not isinstance(body.get("detail"), list):
            self.violate(f"{where}: not Truedy's error envelope: {response.text[:120]}")

    # -- values ----------------------------------------------------------------------------
    def hostile(self) -> Any:
        return self.rng.choice(HOSTILE)

    def mutate(self, body: dict[str, Any]) -> dict[str, Any]:
        """Usually the valid body; sometimes one to three fields hostile, or an unknown one added."""
        if self.rng.random() < 0.55:
            return body
        body = dict(body)
        for _ in range(self.rng.randint(1, 3)):
            body[self.rng.choice([*body, "unknown_field"])] = self.hostile()
        return body

    def text(self) -> str:
        return self.rng.choice(TEXT_PARTS)

    def phones(self, n: int) -> list[str]:
        return [f"+1415{self.rng.randrange(10**7):07d}" for _ in range(n)]

    def some(self, ids: list[str]) -> str:
        if ids and self.rng.random() < 0.85:
            return self.rng.choice(ids)
        return self.text()

    # -- the requests ----------------------------------------------------------------------
    def truedy(self, ws: dict[str, Any]) -> None:
        headers = {"Authorization": f"Bearer {ws['api_key']}"}
        ids: list[str] = ws["truedy"]
        batch = self.some(ids)
        roll = self.rng.random()
        if roll < 0.2:
            contacts = [{"phone_number": p, "first_name": "Ann"} for p in self.phones(self.rng.randint(1, 4))]
            body = self.mutate({
                "name": f"chaos {self.sent}", "agent_id": self.rng.choice(AGENTS), "contacts": contacts,
                "max_calls_per_day": self.rng.choice([3, 3.0, 100]), "max_concurrent_calls": 2.0,
                "working_days": [1, 2, 3, 4, 5], "start_time": "09:00", "end_time": "17:00",
            })
            extra = {"X-Idempotency-Key": f"k{self.rng.randrange(20)}"} if self.rng.random() < 0.2 else {}
            answer = self.send("POST", f"{API}/batch-calls", json=body, headers={**headers, **extra})
            if answer is not None and answer.status_code == 201:
                ids.append(answer.json()["data"]["id"])
        elif roll < 0.35:
            verb = self.rng.choice(["schedule", "pause", "resume", "schedule"])
            body = self.mutate({"scheduled_at": "2026-03-03T09:00:00Z"}) if self.rng.random() < 0.3 else {}
            self.send("POST", f"{API}/batch-calls/{batch}/{verb}", json=body, headers=headers)
        elif roll < 0.45:
            body = self.mutate({"name": "renamed", "max_calls_per_day": 5.0, "working_days": [1.0, 3]})
            self.send("PATCH", f"{API}/batch-calls/{batch}", json=body, headers=headers)
        elif roll < 0.55:
            if self.rng.random() < 0.5:
                csv = self.rng.choice(CSV_ODDITIES)
                self.send("POST", f"{API}/batch-calls/{batch}/contacts", content=csv.encode(),
                          headers={**headers, "Content-Type": "text/csv"})
            else:
                body = self.mutate({"contacts": [{"phone_number": p} for p in self.phones(2)]})
                self.send("POST", f"{API}/batch-calls/{batch}/contacts", json=body, headers=headers)
        elif roll < 0.6:
            self.send("POST", f"{API}/contacts/import", content=self.rng.choice(CSV_ODDITIES).encode(),
                      headers={**headers, "Content-Type": "text/csv"})
        elif roll < 0.65:
            if self.rng.random() < 0.5:
                self.send("DELETE", f"{API}/batch-calls/{batch}", headers=headers)
            else:
                body = self.mutate({"ids": [self.some(ids), self.some(ids)]})
                self.send("POST", f"{API}/batch-calls/bulk-delete", json=body, headers=headers)
        else:
            path = self.rng.choice([f"/batch-calls/{batch}", f"/batch-calls/{batch}/contacts",
                                    f"/batch-calls/{batch}/analytics", "/batch-calls", "/agents",
                                    "/contacts", "/contacts/folders", f"/nowhere/{self.text()}"])
            params = {self.rng.choice(["limit", "offset", "status", "agent_id"]): self.text()}
            self.send("GET", API + path, params=params if self.rng.random() < 0.4 else None, headers=headers)

    def zudu(self, ws: dict[str, Any]) -> None:
        headers = {"X-API-KEY": ws["zudu"]["api_key"], "X-API-SECRET": ws["zudu"]["api_secret"]}
        ids: list[str] = ws["zudu_ids"]
        batch = self.some(ids)
        roll = self.rng.random()
        if roll < 0.25:
            phones = self.phones(self.rng.randint(1, 3))
            tasks = [self.mutate({"to_number": p, "max_retries": 2.0}) for p in phones]
            body = self.mutate({"from_number": "+14157774444", "tasks": tasks, "name": "chaos",
                                "send_now": self.rng.random() < 0.3})
            answer = self.send("POST", "/batch-call", json=body, headers=headers)
            if answer is not None and answer.status_code == 201:
                ids.append(answer.json()["data"]["batch_call_id"])
        elif roll < 0.4:
            body = self.mutate({"name": "z", "status": self.rng.choice(["draft", "scheduled", "sent"]),
                                "trigger_timestamp": START_MS + 86_400_000 * self.rng.randint(1, 5)})
            self.send("PATCH", f"/batch-call/{batch}", json=body, headers=headers)
        elif roll < 0.5:
            self.send("POST", f"/batch-call/{batch}/execute", headers=headers)
        elif roll < 0.55:
            self.send("DELETE", f"/batch-call/{batch}", headers=headers)
        elif roll < 0.65:
            body = self.mutate({"pagination": {"page": 0, "limit": 5.0}, "sort_by": "created_at"})
            self.send("POST", "/batch-call/list", json=body, headers=headers)
        else:
            path = self.rng.choice([f"/batch-call/{batch}", f"/batch-call/{batch}/tasks", "/batch-call/list"])
            params = {self.rng.choice(["page", "limit", "sort_by"]): self.text()}
            self.send("GET", path, params=params if self.rng.random() < 0.4 else None, headers=headers)

    def control(self, ws: dict[str, Any]) -> None:
        headers = self.auth(ws)
        # without credentials: the default world's, which only the admin may reach when hosted
        anyone = headers if self.opts.hosted else {}
        roll = self.rng.random()
        if roll < 0.35:
            jump = {"seconds": self.rng.choice([0, 60, 3600, 3.5, 86_400, 3 * 86_400])}
            if "clock-extremes" not in self.opts.without and self.rng.random() < 0.1:
                jump = self.rng.choice(CLOCK_EXTREMES)
            self.send("POST", "/_mock/clock/advance", json=jump, headers=anyone)
        elif roll < 0.5:
            rule = {"path": self.rng.choice([f"{API}/batch-calls*", "/batch-call*", f"{API}/*"]),
                    "status": self.rng.choice([500, 503, 429]), "count": self.rng.randint(1, 3),
                    "latency_ms": self.rng.choice([0, 0, 20])}
            body = self.mutate(rule) if self.rng.random() < 0.3 else rule
            self.send("POST", "/_mock/faults", json=body, headers=anyone)
        elif roll < 0.6:
            self.send("POST", "/_mock/faults/scheduling", headers=headers)
        elif roll < 0.7:
            body = {"batch_call_id": self.some(ws["truedy"])}
            self.send("POST", "/_mock/faults/provider-error", json=self.mutate(body), headers=headers)
        elif roll < 0.8:
            url = self.rng.choice(["http://127.0.0.1:9/hooks", None, "notaurl", "http://[::1", "x" * 5000])
            self.send("PUT", "/_mock/webhooks", json=self.mutate({"url": url}), headers=headers)
        elif roll < 0.85:
            self.hostile_tenant.cross_site(headers)
        else:
            path = self.rng.choice(["/_mock/events", "/_mock/webhooks/deliveries", "/_mock/clock",
                                    "/_mock/faults"])
            self.send("GET", path, headers=headers)

    # -- the cross-request invariants ------------------------------------------------------
    def health(self) -> None:
        answer = self.send_exact("GET", "/_mock/health")
        if answer is not None and answer.status_code != 200:
            self.violate(f"health answered {answer.status_code}")

    def sentinel_check(self) -> None:
        headers = {"Authorization": f"Bearer {self.sentinel['api_key']}"}
        answer = self.send_exact("GET", f"{API}/batch-calls/{self.sentinel['batch']}", headers=headers)
        if answer is None or answer.status_code != 200:
            return  # an injected fault, or a failure check() has already counted
        if answer.json().get("data") != self.sentinel_view:
            self.violate("the sentinel workspace's draft changed")

    def read(self, path: str, headers: dict[str, str], **kwargs: Any) -> Any:
        answer = self.http.get(path, headers=headers, **kwargs)
        if DELIBERATE_5XX.search(answer.text):  # a readiness session's challenge: asked again, as told
            answer = self.http.get(path, headers=headers, **kwargs)
        try:
            body = answer.json()
        except ValueError:
            return {"not JSON": answer.status_code}
        return {k: v for k, v in body.items() if k != "meta"} if isinstance(body, dict) else body

    def snapshot(self) -> dict[str, Any]:
        """Every batch of every workspace as the API shows it (faults cleared first)."""
        seen: dict[str, Any] = {}
        for ws in [*self.workspaces, self.sentinel]:
            headers = self.auth(ws)
            self.http.delete("/_mock/faults", headers=headers)
            listed, offset = [], 0
            while True:
                page = self.read(f"{API}/batch-calls", headers, params={"limit": 100, "offset": offset})
                listed += page.get("data", [])
                offset += 100
                if offset >= page.get("pagination", {}).get("total", 0):
                    break
            seen[f"{ws['api_key']} list"] = listed
            for item in listed[: self.opts.snapshot_batches]:
                for tail in ("", "/contacts?limit=100", "/analytics"):
                    seen[f"{item['id']}{tail}"] = self.read(f"{API}/batch-calls/{item['id']}{tail}", headers)
            if "zudu" in ws:
                zudu = {"X-API-KEY": ws["zudu"]["api_key"], "X-API-SECRET": ws["zudu"]["api_secret"]}
                for batch in ws.get("zudu_ids", [])[: self.opts.snapshot_batches]:
                    for tail in ("", "/tasks?limit=100"):
                        seen[f"{batch}{tail}"] = self.read(f"/batch-call/{batch}{tail}", zudu)
        return seen

    def restart(self) -> None:
        assert self.server is not None, "restarts need a server process"
        before = self.snapshot()
        self.server.kill(hard=True)
        self.http.close()
        self.http = httpx.Client(base_url=self.server.start(), timeout=30)
        after = self.snapshot()
        if after != before:
            changed = [k for k in before if before[k] != after.get(k)][:5]
            self.violate(f"after a restart these differ: {changed}")
        self.health()

    # -- the run ---------------------------------------------------------------------------
    def setup(self, default: dict[str, Any]) -> None:
        """Three workspaces (the last the sentinel) and the default one, whose credentials are
        `default`'s."""
        for _ in range(3):
            answer = self.http.post("/_mock/workspaces", headers=self.opts.admin)
            self.workspaces.append({**answer.json(), "truedy": [], "zudu_ids": []})
        self.sentinel = self.workspaces.pop()
        headers = {"Authorization": f"Bearer {self.sentinel['api_key']}"}
        draft = {"name": "sentinel", "agent_id": "agt_sandbox_ready",
                 "contacts": [{"phone_number": "+14155550100"}]}
        created = self.http.post(f"{API}/batch-calls", headers=headers, json=draft)
        self.sentinel["batch"] = created.json()["data"]["id"]
        self.sentinel_view = created.json()["data"]
        self.workspaces.append({**default, "default": True, "truedy": [], "zudu_ids": []})
        self.secrets = Secrets([*self.workspaces, self.sentinel])

    def run(self, deadline: float) -> None:
        restarts_at = sorted(self.rng.sample(range(100, self.opts.requests), self.opts.restarts)) if (
            self.opts.state_file and self.opts.requests > 100) else []
        while self.sent < self.opts.requests and time.monotonic() < deadline:
            ws = self.rng.choice(self.workspaces)
            roll = self.rng.random()
            if roll < 0.45:
                self.truedy(ws)
            elif roll < 0.72:
                self.zudu(ws)
            elif roll < 0.9:
                self.control(ws)
            else:
                self.hostile_tenant.move(ws)
            if self.sent % 200 < 1:
                self.health()
                self.sentinel_check()
            if restarts_at and self.sent >= restarts_at[0]:
                restarts_at.pop(0)
                self.restart()
        self.health()
        self.sentinel_check()


def options(argv: list[str] | None = None) -> argparse.Namespace:
    return parse_options(argv, __doc__ or "")


def main() -> int:
    opts = options()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        server = Server(serve_flags(opts, START, Path(scratch) / "chaos.db"))
        server.start()
        chaos = Chaos(opts, httpx.Client(base_url=server.base, timeout=30), server)
        try:
            chaos.setup(opts.default)
            chaos.run(started + opts.time_limit)
        finally:
            chaos.http.close()
            server.kill(hard=False)
    took = time.monotonic() - started
    kills = f", state file with {opts.restarts} kill -9" if opts.state_file else ""
    kills += ", hosted" if opts.hosted else ""
    print(f"chaos self-check: {chaos.sent} requests, {len(chaos.violations)} violations in {took:.0f} s "
          f"(seed {opts.seed}{kills})")
    return 1 if chaos.violations else 0


if __name__ == "__main__":
    sys.exit(main())
