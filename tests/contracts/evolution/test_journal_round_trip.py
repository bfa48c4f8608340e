"""The round trip of issue 24: a partner's traffic with the sandbox, exported by the journal as HAR
(`GET /_mock/requests?format=har`), replayed by `batchcalls-contract diff OLD NEW --traffic`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import API, AUTH, make_client

from contracts.cli import main

ROOT = Path(__file__).resolve().parents[3]
SPEC = ROOT / "openapi.json"
CREATE = {"agent_id": "agt_sandbox_ready", "contact_source": "manual",
          "contacts": [{"phone_number": "+15551230001"}]}


def test_the_journal_as_har_tells_diff_which_requests_new_would_refuse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with make_client() as client:
        for index in range(4):  # two creates without a timezone, two with one
            body = {**CREATE, "name": f"Round trip {index}", **({"timezone": "UTC"} if index % 2 else {})}
            assert client.post(f"{API}/batch-calls", json=body, headers=AUTH).status_code == 201
        assert client.get(f"{API}/batch-calls", params={"limit": 5}, headers=AUTH).status_code == 200
        exported = client.get("/_mock/requests", params={"format": "har"})
    har = tmp_path / "partner-a.har"
    har.write_bytes(exported.content)
    document = json.loads(SPEC.read_text())
    document["components"]["schemas"]["BatchCallCreateRequest"]["required"].append("timezone")
    new = tmp_path / "new.json"
    new.write_text(json.dumps(document), encoding="utf-8")

    assert main(["diff", str(SPEC), str(SPEC), "--traffic", str(har), "--format", "json"]) == 0
    [unchanged] = json.loads(capsys.readouterr().out)["traffic"]
    assert (unchanged["requests"], unchanged["refused"], unchanged["responses_out"]) == (5, 0, 0)

    assert main(["diff", str(SPEC), str(new), "--traffic", str(har), "--format", "json"]) == 1
    [impact] = json.loads(capsys.readouterr().out)["traffic"]
    assert (impact["requests"], impact["refused"], impact["already_refused"]) == (5, 2, 0)
    assert impact["headline"].startswith(
        f"{har}: 2 of 5 requests would be refused by NEW (first: POST /batch-calls, `timezone` now required)"
    )
    assert impact["first_refused"]["entry"] == 0
