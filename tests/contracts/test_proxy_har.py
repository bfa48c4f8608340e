"""`proxy --har FILE`: the exchanges the proxy forwards, as HAR 1.2, credentials redacted, bounded
by --har-max-bytes; the file replays with `diff --traffic` (the proxy runs as a user runs it: a
subprocess, --port 0, in front of the sandbox in process)."""

from __future__ import annotations

import json
from pathlib import Path

import hostile_target as hostile
import httpx
import pytest
from test_proxy import API, AUTH, KEY, proxy

from contracts.cli import main
from contracts.curl import Redaction
from contracts.har import HarError, read_har
from contracts.inprocess import serve
from contracts.proxy.har_file import HarRecording

ROOT = Path(__file__).resolve().parents[2]
CREATE = {
    "agent_id": "agt_sandbox_ready", "contact_source": "folder", "contact_folder_id": "folder_sandbox_demo"
}


def traffic(url: str) -> None:
    with httpx.Client(base_url=url + API, headers=AUTH, timeout=10) as client:
        assert client.post("/batch-calls", json={**CREATE, "name": "no zone"}).status_code == 201
        zoned = {**CREATE, "name": "zoned", "timezone": "UTC"}
        assert client.post("/batch-calls", json=zoned).status_code == 201
        assert client.get("/batch-calls", params={"limit": 5, "api_key": KEY}).status_code == 200


def test_the_har_file_holds_every_exchange_redacted_and_replays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    har = tmp_path / "proxy.har"
    with serve(hostile.sandbox()) as origin, proxy(origin, "--har", str(har)) as (url, output):
        traffic(url)
    assert output[-1] == "exit 0", "\n".join(output)
    assert f"har: {har} (3 exchanges)" in output
    text = har.read_text(encoding="utf-8")
    assert KEY not in text and "Bearer $BATCHCALLS_API_KEY" in text and "api_key=$" in text
    exchanges = list(read_har(har))
    assert [(e.method, e.status) for e in exchanges] == [("POST", 201), ("POST", 201), ("GET", 200)]
    assert json.loads(exchanges[0].request_body or b"")["name"] == "no zone"
    assert json.loads(exchanges[2].response_body or b"")["pagination"]["total"] == 2

    document = json.loads((ROOT / "openapi.json").read_text())
    document["components"]["schemas"]["BatchCallCreateRequest"]["required"].append("timezone")
    new = tmp_path / "new.json"
    new.write_text(json.dumps(document), encoding="utf-8")
    old = str(ROOT / "openapi.json")
    assert main(["diff", old, str(new), "--traffic", str(har), "--format", "json"]) == 1
    [impact] = json.loads(capsys.readouterr().out)["traffic"]
    assert (impact["requests"], impact["refused"]) == (3, 1)


def test_the_har_file_stops_growing_at_its_bound_and_stays_whole(tmp_path: Path) -> None:
    har = tmp_path / "proxy.har"
    recording = HarRecording(har, Redaction(headers={"authorization": "BATCHCALLS_API_KEY"}), max_bytes=4000)
    for index in range(10):
        recording.record("POST", f"http://target{API}/batch-calls", [("authorization", f"Bearer {KEY}")],
                         b'{"name": "%d"}' % index, 201, [("content-type", "application/json")],
                         b"x" * 200, 1.5)
    recording.close()
    assert har.stat().st_size <= 4000
    written = list(read_har(har))  # a whole HAR document
    assert 0 < len(written) < 10 and KEY not in har.read_text(encoding="utf-8")
    names = [json.loads(e.request_body or b"")["name"] for e in written]
    assert names == [str(i) for i in range(len(written))]
    assert recording.summary() == (
        f"har: {har} ({len(written)} exchanges; {10 - len(written)} more not written: the file reached "
        "--har-max-bytes)"
    )
    with pytest.raises(HarError, match="cannot write"):  # the command's one sentence, exit 2
        HarRecording(tmp_path, Redaction())


def test_the_har_file_hides_what_the_sandboxs_journal_hides(tmp_path: Path) -> None:
    """A webhook's secret in a body, credential parameters the reproductions do not name, a
    workspace's keys in an answer: hidden as the journal hides them (they were written in clear)."""
    har = tmp_path / "proxy.har"
    secret, signed = "whsec_proxy_har_0123456789", "sig_value_0123456789abcdef"
    with serve(hostile.sandbox()) as origin, proxy(origin, "--har", str(har)) as (url, _):
        hook = {"url": f"https://hooks.example.org/x?signature={signed}", "secret": secret}
        assert httpx.put(f"{url}/_mock/webhooks", json=hook, headers=AUTH, timeout=10).status_code == 200
        query = {"client_secret": signed, "password": signed}
        httpx.get(f"{url}{API}/batch-calls", params=query, headers=AUTH, timeout=10)
    text = har.read_text(encoding="utf-8")
    assert secret not in text and signed not in text
    assert len(list(read_har(har))) == 2
