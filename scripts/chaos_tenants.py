"""The hostile tenants of `chaos_self_check.py`: a workspace's key doing the worst things it may.

Each move is something one tenant (or, under `--hosted`, a client with no credentials) can send,
with what the sandbox must answer (issue 20): another workspace's batch is a 404; the journal's
longest filters and largest pages, readiness reports, headers past the 431 limit, a body past
`--max-body-bytes`, fault rules up to their cap, webhook addresses in disguise are each answered
with their documented status; sandbox-wide operations need the admin token. Besides these, every
answer of the whole run is searched for another workspace's credentials (`Secrets`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from chaos_self_check import Chaos

from chaos_catalogue import DELIBERATE_5XX

API = "/api/public/v1"
MAX_BODY = 1_048_576  # `--max-body-bytes`, the default
MAX_HEADER_BYTES = 32 * 1024  # the 431 limit (engine/header_limits.py)
MAX_FAULT_RULES = 100  # `--max-fault-rules`, the default
# the journal's path filter at its longest: 2,048 characters of `{name}` segments (each once cost
# exponential time in the path matched)
LONG_TEMPLATE = "".join(f"/{{n{n}}}" for n in range(2048 // 6))[:2048].rsplit("/", 1)[0]
DISGUISED_METADATA = ["http://2852039166/", "http://0xa9fea9fe/", "http://0xa9.0xfe.0xa9.0xfe/",
                      "http://0251.0376.0251.0376/", "http://169.254.43518/", "http://169.254.169.254./",
                      "http://[::169.254.169.254]/", "http://[64:ff9b::a9fe:a9fe]/",
                      "http://metadata.google.internal/"]


def credentials(ws: Mapping[str, Any]) -> list[str]:
    """What a workspace's holder alone may read: its keys, its Zudu pair, its webhook secret."""
    zudu = ws.get("zudu") or {}
    found = [ws.get("api_key"), zudu.get("api_key"), zudu.get("api_secret"), ws.get("webhook_secret")]
    return [value for value in found if isinstance(value, str) and len(value) >= 8]


class Secrets:
    """Every workspace's credentials, by the key that presents them: an answer to one workspace's
    key (or to no key: the default workspace's world) must hold none of another's."""

    def __init__(self, workspaces: list[dict[str, Any]]) -> None:
        self.owned = {key: credentials(ws) for ws in workspaces for key in credentials(ws)[:2]}
        self.every = {value for values in self.owned.values() for value in values}
        self.default = credentials(next(ws for ws in workspaces if ws.get("default")))

    def foreign_in(self, headers: Mapping[str, Any], text: str) -> list[str]:
        presented = str(headers.get("Authorization", "")).removeprefix("Bearer ") or headers.get("X-API-KEY")
        own = self.owned.get(presented, self.default) if isinstance(presented, str) else self.default
        return [value[:12] + "…" for value in self.every - set(own) if value in text]


class HostileTenant:
    def __init__(self, chaos: Chaos) -> None:
        self.chaos = chaos
        self.moves: list[Callable[[dict[str, Any]], None]] = [
            self.foreign_batch, self.journal, self.readiness, self.big_head, self.big_body,
            self.disguised_webhook, self.sandbox_wide,
        ]
        if "readiness" in chaos.opts.without:
            self.moves.remove(self.readiness)

    def expect(self, answer: Any, wanted: tuple[int, ...], what: str) -> None:
        """A status of `wanted`, or a fault the workspace's own rules injected."""
        if answer is not None and answer.status_code not in wanted and not DELIBERATE_5XX.search(answer.text):
            self.chaos.violate(f"hostile tenant, {what}: {answer.status_code} (wanted {wanted}): "
                               f"{answer.text[:160]}")

    def move(self, ws: dict[str, Any]) -> None:
        if self.chaos.rng.random() < 0.03:  # a hundred requests: now and then
            self.fault_flood(ws)
        else:
            self.chaos.rng.choice(self.moves)(ws)

    def foreign_batch(self, ws: dict[str, Any]) -> None:
        """Another workspace's batch, read, renamed or deleted with this one's key: a 404."""
        chaos = self.chaos
        others = [(other, batch) for other in [*chaos.workspaces, chaos.sentinel] if other is not ws
                  for batch in other.get("truedy", []) + ([other["batch"]] if "batch" in other else [])]
        if not others:
            return
        _, batch = chaos.rng.choice(others)
        if batch in ws["truedy"]:
            return  # the same id drawn in both workspaces: its own
        method, tail = chaos.rng.choice([("GET", ""), ("GET", "/contacts"), ("PATCH", ""), ("DELETE", ""),
                                         ("POST", "/pause")])
        body = {"json": {"name": "taken"}} if method == "PATCH" else {}
        answer = chaos.send_exact(method, f"{API}/batch-calls/{batch}{tail}", headers=chaos.auth(ws), **body)
        self.expect(answer, (404,), f"another workspace's batch: {method} {tail or '/'}")

    def journal(self, ws: dict[str, Any]) -> None:
        """The journal's largest page and its longest filter, as a page and as a count."""
        chaos = self.chaos
        query = chaos.rng.choice([f"limit=1000&path={quote(LONG_TEMPLATE)}", "limit=1000",
                                  "limit=1000&method=POST&status=422", f"path={quote('/{a}' * 300)}"])
        path = chaos.rng.choice(["/_mock/requests", "/_mock/requests/count"])
        answer = chaos.send_exact("GET", f"{path}?{query}", headers=chaos.auth(ws))
        self.expect(answer, (200, 422), "journal read")

    def readiness(self, ws: dict[str, Any]) -> None:
        chaos = self.chaos
        if chaos.rng.random() < 0.3:
            self.expect(chaos.send_exact("POST", "/_mock/readiness/start", headers=chaos.auth(ws)), (201,),
                        "readiness start")
        fmt = chaos.rng.choice(["json", "md", "html"])
        answer = chaos.send_exact("GET", f"/_mock/readiness?format={fmt}", headers=chaos.auth(ws))
        self.expect(answer, (200, 404), "readiness report")

    def big_head(self, ws: dict[str, Any]) -> None:
        """Headers past the limit (by size or by count): 431 in the envelope, before any work."""
        chaos = self.chaos
        if chaos.rng.random() < 0.5:
            pad = {"X-Pad": "p" * MAX_HEADER_BYTES}
        else:
            pad = {f"X-Pad-{n}": "p" for n in range(120)}
        path = chaos.rng.choice([f"{API}/batch-calls", "/batch-call/list", "/_mock/requests"])
        answer = chaos.send_exact("GET", path, headers={**chaos.auth(ws), **pad})
        self.expect(answer, (431,), "oversized head")

    def big_body(self, ws: dict[str, Any]) -> None:
        chaos = self.chaos
        body = b'{"name": "' + b"x" * MAX_BODY + b'"}'
        answer = chaos.send_exact("POST", f"{API}/batch-calls", content=body,
                            headers={**chaos.auth(ws), "Content-Type": "application/json"})
        self.expect(answer, (413,), "a body past the limit")

    def disguised_webhook(self, ws: dict[str, Any]) -> None:
        """The cloud metadata address in another spelling: refused like the plain one."""
        chaos = self.chaos
        url = chaos.rng.choice(DISGUISED_METADATA)
        answer = chaos.send_exact("PUT", "/_mock/webhooks", json={"url": url}, headers=chaos.auth(ws))
        self.expect(answer, (422,), f"webhook {url}")

    def sandbox_wide(self, ws: dict[str, Any]) -> None:
        """Under --hosted: what only the admin may do, tried with a tenant's key or with nothing."""
        chaos = self.chaos
        if not chaos.opts.hosted:
            return  # without an admin token these are anyone's (the README says so)
        headers = chaos.auth(ws) if chaos.rng.random() < 0.7 else {}
        method, path = chaos.rng.choice([
            ("GET", "/_mock/workspaces"), ("POST", "/_mock/workspaces"),
            ("DELETE", f"/_mock/workspaces/{chaos.sentinel['workspace_id']}"),
            ("POST", "/_mock/reset?scope=all"), ("GET", "/_mock/requests"), ("GET", "/_mock/faults"),
        ])
        if headers and path in ("/_mock/requests", "/_mock/faults"):
            return  # its own world's: allowed
        answer = chaos.send_exact(method, path, headers={**headers, "Content-Type": "application/json"})
        self.expect(answer, (401,), f"{method} {path} as a tenant")

    def cross_site(self, headers: dict[str, str]) -> None:
        """What a page of another site can make a developer's browser send: a write with a foreign
        Origin, a form's body, or a Host it rebound to the sandbox. Each is refused (403, 415, 421)
        before it reaches a world (the sentinel would show a reset)."""
        rng = self.chaos.rng
        method, path = rng.choice([("POST", "/_mock/reset"), ("POST", "/_mock/clock/advance"),
                                   ("POST", "/_mock/faults"), ("DELETE", "/_mock/faults"),
                                   ("POST", "/_mock/faults/scheduling"), ("PUT", "/_mock/webhooks")])
        extra = rng.choice([
            {"Origin": rng.choice(["https://evil.example", "null", "http://localhost:1"]),
             "Content-Type": "application/json"},
            {"Content-Type": rng.choice(["text/plain", "application/x-www-form-urlencoded",
                                         "multipart/form-data; boundary=x"])},
            {"Host": rng.choice(["evil.example", "127.0.0.1.nip.io", "localhost.evil.example:80"])},
        ])
        answer = self.chaos.send(method, path, headers={**headers, **extra}, content=b'{"seconds": 60}')
        if answer is not None and answer.status_code not in (403, 415, 421):
            self.chaos.violate(f"cross-site {method} {path} {extra} answered {answer.status_code}")

    def fault_flood(self, ws: dict[str, Any]) -> None:
        """Rules that never fire, added until the cap refuses one (409), then all cleared."""
        chaos = self.chaos
        rule = {"path": "/nowhere/*", "status": 503}
        for _ in range(MAX_FAULT_RULES + 1):
            answer = chaos.send_exact("POST", "/_mock/faults", json=rule, headers=chaos.auth(ws))
            if answer is None or answer.status_code != 201:
                self.expect(answer, (409,), "a fault rule past the cap")
                break
        else:
            chaos.violate(f"{MAX_FAULT_RULES + 1} fault rules accepted")
        chaos.send_exact("DELETE", "/_mock/faults", headers=chaos.auth(ws))
