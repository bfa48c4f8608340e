"""Two `serve --store` instances share one workspace's quota: creates, uploads and deletes sent at
once to both never take the workspace past `--max-contacts`, and a refusal on either reports as in
use what the workspace holds (read back through the lists), once both are idle."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pg_cluster
import pytest
from instances import Pair, pair_on
from support import API

MAX_CONTACTS = 60
FLAGS = ("--clock", "manual", "--seed", "7", "--max-contacts", str(MAX_CONTACTS))
ROUNDS = 12  # each worker's requests: bounded


@pytest.fixture(scope="module")
def pair(postgres: pg_cluster.Postgres) -> Iterator[Pair]:
    with pair_on(postgres.new_database(), *FLAGS) as p:
        yield p


def rows(tag: int, count: int) -> list[dict[str, str]]:
    return [{"phone_number": f"+1{4_000_000_000 + tag * 10 + i}"} for i in range(count)]


def everything(base: str, key: dict[str, str], path: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for offset in range(0, 10_000, 100):
        page = httpx.get(f"{base}{API}{path}", params={"limit": 100, "offset": offset}, headers=key).json()
        found += page["data"]
        if not page["pagination"]["has_more"]:
            return found
    raise AssertionError("more than 10,000 items")


def test_creates_uploads_and_deletes_on_both_instances_stay_within_the_contacts_quota(pair: Pair) -> None:
    created = httpx.post(f"{pair.a.base}/_mock/workspaces")
    key = {"Authorization": f"Bearer {created.json()['api_key']}"}
    tags = itertools.count()
    refusals: list[str] = []

    def work(base: str) -> None:
        with httpx.Client(base_url=base, headers=key, timeout=30) as http:
            mine: list[str] = []
            for i in range(ROUNDS):
                if i % 4 == 3 and mine:
                    http.delete(f"{API}/batch-calls/{mine.pop(0)}")
                elif i % 2 and mine:
                    upload = {"contacts": rows(next(tags), 3)}
                    http.post(f"{API}/batch-calls/{mine[-1]}/contacts", json=upload)
                else:
                    body = {"name": "q", "agent_id": "agt_sandbox_ready", "contacts": rows(next(tags), 4)}
                    answer = http.post(f"{API}/batch-calls", json=body)
                    if answer.status_code == 201:
                        mine.append(answer.json()["data"]["id"])
                    else:
                        assert answer.status_code == 409, answer.text
                        refusals.append(base)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(work, [pair.a.base, pair.b.base] * 2))
    assert refusals  # the workers reached the quota

    for base in (pair.a.base, pair.b.base):
        held = sum(b["total_contacts"] for b in everything(base, key, "/batch-calls"))
        held += len(everything(base, key, "/contacts"))
        assert held <= MAX_CONTACTS
        body = {"name": "past", "agent_id": "agt_sandbox_ready", "contacts": rows(10_000, MAX_CONTACTS)}
        refused = httpx.post(f"{base}{API}/batch-calls", json=body, headers=key)
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["details"]["in_use"] == held
