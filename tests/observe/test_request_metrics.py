"""The labels of `GET /_mock/metrics` are the sandbox's own words: many workspaces sending random
paths with random methods and credentials add no series past a bound fixed by the served documents,
and no label carries a workspace id, a key or anything a client chose."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from support import make_client

from mock_server.observe.request_metrics import LATENCY_BUCKETS_MS, UNDOCUMENTED_STATUSES

pytestmark = pytest.mark.in_process

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = {"truedy": "openapi.json", "zudu": "openapi.zudu.json", "control": "openapi.control.json"}
PREFIXES = ("", "/api/public/v1", "/api/public/v1/batch-calls", "/_mock", "/_mock/workspaces", "/batch-call",
            "/api", "/docs")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "BREW", "PROPFIND", "X-CUSTOM")
# families whose series do not depend on requests: worlds, evicted, journal entries and bytes,
# webhook attempts (3 results), faults fired (3 kinds)
FIXED_SERIES = 4 + 3 + 3


def vocabulary() -> tuple[set[str], set[str]]:
    """The operationIds and the statuses the three documents hold."""
    operations, statuses = {"unmatched"}, {str(s) for s in UNDOCUMENTED_STATUSES} | {"other"}
    for name in DOCUMENTS.values():
        document = json.loads((ROOT / name).read_text())
        for item in document["paths"].values():
            for op in item.values():
                if isinstance(op, dict) and "operationId" in op:
                    operations.add(op["operationId"])
                    statuses.update(code for code in op["responses"] if code.isdigit())
    return operations, statuses


def test_random_paths_methods_and_workspaces_add_no_series_past_the_bound() -> None:
    rng = random.Random(25)
    chosen: set[str] = set()  # everything a client chose: ids, keys, path segments, methods

    def token() -> str:
        made = f"t{rng.getrandbits(40):010x}"
        chosen.add(made)
        return made

    with make_client(max_workspaces=100, quiet=True) as c:
        workspaces = [c.post("/_mock/workspaces").json() for _ in range(30)]
        for w in workspaces:
            chosen.update({w["workspace_id"], w["api_key"], w["zudu"]["api_key"], w["zudu"]["api_secret"]})
        credentials = [
            *({"Authorization": f"Bearer {w['api_key']}"} for w in workspaces),
            *({"X-API-KEY": w["zudu"]["api_key"], "X-API-SECRET": w["zudu"]["api_secret"]}
              for w in workspaces),
            {"Authorization": f"Bearer sk_test_{token()}"},
            {},
        ]
        for _ in range(400):
            segments = [rng.choice([token(), rng.choice(workspaces)["workspace_id"], "batch-calls", "list"])
                        for _ in range(rng.randrange(0, 4))]
            path = "/".join([rng.choice(PREFIXES), *segments]) or "/"
            method = rng.choice(METHODS)
            body = {"name": token()} if rng.random() < 0.3 else None
            headers = rng.choice(credentials)
            answer = c.request(method, f"{path}?{token()}={token()}", headers=headers, json=body)
            assert answer.status_code < 500, (method, path, answer.text)
        text = c.get("/_mock/metrics").text

    families = list(text_string_to_metric_families(text))
    samples = [sample for family in families for sample in family.samples]
    operations, statuses = vocabulary()
    for sample in samples:
        labels = sample.labels
        assert labels.get("dialect", "truedy") in DOCUMENTS, sample
        assert labels.get("operation", "unmatched") in operations, sample
        assert labels.get("status", "200") in statuses, sample
        assert not any(part in value for value in labels.values() for part in chosen), sample
    # the bound: a series per (dialect, operation or unmatched) and status, and a histogram per
    # (dialect, operation or unmatched): fixed by the documents, whatever the requests were
    timed = len(operations) - 1 + len(DOCUMENTS)
    bound = timed * len(statuses) + timed * (len(LATENCY_BUCKETS_MS) + 3) + FIXED_SERIES
    assert len(samples) <= bound, (len(samples), bound)
    counted = {(s.labels["dialect"], s.labels["operation"])
               for s in samples if s.name == "batchcalls_requests_total"}
    assert ("truedy", "unmatched") in counted and ("control", "create_workspace") in counted
    assert sum(s.value for s in samples if s.name == "batchcalls_requests_total") >= 430
