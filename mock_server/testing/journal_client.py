"""Read a running sandbox's request journal from a client's own test suite: what did my code send?

    from mock_server.testing.journal_client import RequestJournal

    def test_my_client_schedules_once(sandbox_url):
        journal = RequestJournal(sandbox_url, api_key="sk_test_sandbox")
        journal.clear()
        my_client.launch_campaign()
        journal.assert_called("POST", "/api/public/v1/batch-calls/{batch_call_id}/schedule", times=1)

It reads `GET /_mock/requests` (filters as documented in openapi.control.json: method, path — a
literal path or a spec template —, operation_id, status, request_id, since) with the credentials of
one workspace, so it sees that workspace's requests only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from mock_server.mcp_server.sandbox_client import Credentials

PAGE = 1000  # the largest page the journal answers


class JournalError(Exception):
    """The sandbox refused to answer the journal (wrong credentials, bad filters, not running)."""


class RequestJournal:
    """The request journal of one workspace of a running sandbox.

    Credentials: a Truedy `api_key`, or a Zudu `zudu_key` and `zudu_secret`; none for the default
    workspace (then `admin_token` when the sandbox has one). `client` may be any httpx.Client
    (e.g. one with a test transport); by default one is made for `base_url`.
    """

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8080",
        *,
        api_key: str | None = None,
        zudu_key: str | None = None,
        zudu_secret: str | None = None,
        admin_token: str | None = None,
        client: httpx.Client | None = None,
        timeout: float = 10.0,
    ) -> None:
        credentials = Credentials.of(
            api_key=api_key, zudu_key=zudu_key, zudu_secret=zudu_secret, admin_token=admin_token
        )
        self.headers = dict(credentials.headers)
        self.client = client or httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)

    def entries(self, **filters: Any) -> list[dict[str, Any]]:
        """The matching entries, newest first: every one, unless `limit` (and `offset`) say."""
        if "limit" in filters:
            page: list[dict[str, Any]] = self._get("/_mock/requests", filters)["data"]
            return page
        found: list[dict[str, Any]] = []
        while True:
            answer = self._get("/_mock/requests", {**filters, "limit": PAGE, "offset": len(found)})
            found.extend(answer["data"])
            if not answer["data"] or len(found) >= answer["total"]:
                return found

    def count(self, **filters: Any) -> int:
        """How many entries match (`GET /_mock/requests/count`)."""
        found: int = self._get("/_mock/requests/count", filters)["count"]
        return found

    def last(self, **filters: Any) -> dict[str, Any] | None:
        """The newest matching entry, or None."""
        page = self.entries(**filters, limit=1)
        return page[0] if page else None

    def assert_called(self, method: str, path: str, times: int = 1, **filters: Any) -> list[dict[str, Any]]:
        """Fail unless exactly `times` requests matched `method` and `path` (a literal path or a
        spec template such as /api/public/v1/batch-calls/{batch_call_id}); answers them, newest
        first. The failure lists the requests the journal holds, to show what was sent instead."""
        matching = self.entries(method=method, path=path, **filters)
        if len(matching) != times:
            seen = self.entries(limit=20)
            listing = "\n".join(
                f"  {e['method']} {e['path']} -> {e['status']} ({e['operation_id'] or 'no operation'})"
                for e in seen
            ) or "  (the journal is empty)"
            raise AssertionError(
                f"expected {times} × {method.upper()} {path}, the journal holds {len(matching)}; "
                f"its newest requests:\n{listing}"
            )
        return matching

    def clear(self) -> None:
        """Empty the workspace's journal (`DELETE /_mock/requests`)."""
        response = self.client.delete("/_mock/requests", headers=self.headers)
        if response.status_code != 204:
            raise JournalError(f"DELETE /_mock/requests answered {response.status_code}: {response.text}")

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> RequestJournal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        query = {
            name: value.isoformat() if isinstance(value, datetime) else value
            for name, value in params.items()
            if value is not None
        }
        try:
            response = self.client.get(path, params=query, headers=self.headers)
        except httpx.TransportError as exc:
            raise JournalError(f"the sandbox did not answer GET {path}: {exc}") from exc
        if response.status_code != 200:
            raise JournalError(f"GET {path} answered {response.status_code}: {response.text}")
        body: dict[str, Any] = response.json()
        return body
