"""Recorded traffic as a consumer contract: real sandbox exchanges, written as HAR, replayed by
`diff --traffic` against OLD and NEW. The judge agrees with the sandbox on what it accepted."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonpatch
import pytest
from diff.recording import recorded
from support import API, AUTH, make_client

from contracts.cli import main
from contracts.evolution.document import Limits, Spec
from contracts.evolution.source import to_uri
from contracts.evolution.validation import Answer, Judge, request_of
from contracts.har import RecordedExchange, read_har, write_har

ROOT = Path(__file__).resolve().parents[3]
SPEC = ROOT / "openapi.json"
CREATE = {
    "name": "Spring",
    "agent_id": "agt_sandbox_ready",
    "contact_source": "manual",
    "contacts": [{"phone_number": "+15551230001"}, {"phone_number": "+15551230002"}],
}
WITHOUT_TIMEZONE = 3


def _record(client: Any, exchanges: list[RecordedExchange], method: str, url: str, **kwargs: Any) -> Any:
    response = client.request(method, url, **kwargs)
    exchanges.append(recorded(response, f"2026-03-02T08:00:{len(exchanges):02d}.000000Z"))
    return response


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A partner's session with the sandbox: creates (some without `timezone`), reads, edits, runs."""
    exchanges: list[RecordedExchange] = []
    with make_client() as client:

        def call(method: str, path: str, **kwargs: Any) -> Any:
            return _record(
                client, exchanges, method, path, headers={**AUTH, **kwargs.pop("headers", {})}, **kwargs
            )

        assert call("GET", f"{API}/agents").status_code == 200
        ids = []
        for index in range(WITHOUT_TIMEZONE + 2):
            body = {**CREATE, "name": f"Spring {index}"}
            if index >= WITHOUT_TIMEZONE:
                body["timezone"] = "Europe/Paris"
            created = call("POST", f"{API}/batch-calls", json=body)
            assert created.status_code == 201, created.text
            ids.append(created.json()["data"]["id"])
        assert call("POST", f"{API}/batch-calls", json={"agent_id": "agt_sandbox_ready"}).status_code == 422
        assert call("GET", f"{API}/batch-calls", params={"limit": 10, "status": "draft"}).status_code == 200
        assert call("GET", f"{API}/batch-calls/{ids[0]}").status_code == 200
        assert (
            call(
                "PATCH", f"{API}/batch-calls/{ids[0]}", json={"name": "Renamed", "timezone": "UTC"}
            ).status_code
            == 200
        )
        upload = call(
            "POST",
            f"{API}/batch-calls/{ids[1]}/contacts",
            content=b"phone_number\n+15551230009\n",
            headers={"Content-Type": "text/csv"},
        )
        assert upload.status_code == 200, upload.text
        assert call("POST", f"{API}/batch-calls/{ids[0]}/schedule").status_code == 200
        assert call("GET", f"{API}/batch-calls/{ids[0]}/contacts").status_code == 200
        assert call("GET", f"{API}/batch-calls/batch_unknown").status_code == 404
        assert call("DELETE", f"{API}/batch-calls/{ids[2]}").status_code == 204
        assert call("GET", "/_mock/health").status_code == 200  # not an operation of openapi.json
    path = tmp_path_factory.mktemp("traffic") / "partner-a.har"
    write_har(path, exchanges, "tests", "1")
    return path


def variant(tmp_path: Path, name: str, *patch: dict[str, Any]) -> Path:
    new = tmp_path / name
    new.write_text(
        json.dumps(jsonpatch.apply_patch(json.loads(SPEC.read_text()), list(patch))), encoding="utf-8"
    )
    return new


Diff = Callable[..., tuple[int, dict[str, Any]]]


@pytest.fixture()
def diff(capsys: pytest.CaptureFixture[str]) -> Diff:
    def run(old: Path, new: Path, *har: Path) -> tuple[int, dict[str, Any]]:
        flags = [f for path in har for f in ("--traffic", str(path))]
        code = main(["diff", str(old), str(new), "--format", "json", *flags])
        captured = capsys.readouterr()
        assert captured.err == ""
        return code, json.loads(captured.out)

    return run


def test_the_judge_agrees_with_the_sandbox(recording: Path) -> None:
    judge = Judge(Spec(to_uri(str(SPEC)), "openapi.json", Limits()))
    judged = 0
    for exchange in read_har(recording):
        path = exchange.url.split("testserver", 1)[1].split("?", 1)[0]
        route = judge.route(exchange.method, path)
        if route is None:
            assert path.startswith("/_mock")
            continue
        judged += 1
        headers = {n.lower(): v for n, v in exchange.request_headers}
        request = request_of(
            exchange.method, exchange.url, headers, exchange.request_body, exchange.request_media_type
        )
        problem = judge.request_problem(*route, request, explain=True)
        assert (problem is None) == (exchange.status != 422), (
            exchange.method,
            path,
            exchange.status,
            problem,
        )
        headers = {n.lower(): v for n, v in exchange.response_headers}
        answer = Answer(exchange.status, headers, exchange.response_media_type, exchange.response_body)
        assert judge.response_problem(route[0], answer, explain=True) is None
    assert judged == 15


def test_unchanged_spec_breaks_no_recorded_client(recording: Path, diff: Diff) -> None:
    code, report = diff(SPEC, SPEC, recording)
    assert code == 0
    [impact] = report["traffic"]
    assert (impact["requests"], impact["unmatched"], impact["refused"], impact["already_refused"]) == (
        16,
        1,
        0,
        1,
    )
    assert (impact["responses_out"], impact["removed"], impact["breaking"]) == (0, 0, False)


def test_a_newly_required_field_refuses_the_requests_without_it(
    recording: Path, diff: Diff, tmp_path: Path
) -> None:
    new = variant(
        tmp_path,
        "new.json",
        {"op": "add", "path": "/components/schemas/BatchCallCreateRequest/required/-", "value": "timezone"},
    )
    code, report = diff(SPEC, new, recording)
    assert code == 1
    [impact] = report["traffic"]
    assert impact["refused"] == WITHOUT_TIMEZONE and impact["already_refused"] == 1
    assert impact["headline"] == (
        f"{recording}: 3 of 16 requests would be refused by NEW (first: POST /batch-calls, `timezone` now "
        "required), 0 responses out of contract; 1 requests matched no operation of OLD and were not judged"
    )
    assert impact["first_refused"]["entry"] == 1
    assert {
        "operation": "POST /batch-calls",
        "requests": 6,
        "refused": 3,
        "responses_out": 0,
        "removed": 0,
    } in impact["by_operation"]


def test_answers_clients_received_that_new_no_longer_allows(
    recording: Path, diff: Diff, tmp_path: Path
) -> None:
    new = variant(
        tmp_path,
        "new.json",
        {
            "op": "add",
            "path": "/components/schemas/BatchCallResponse/properties/labels",
            "value": {"type": "array"},
        },
        {"op": "add", "path": "/components/schemas/BatchCallResponse/required/-", "value": "labels"},
    )
    code, report = diff(SPEC, new, recording)
    [impact] = report["traffic"]
    assert code == 1 and impact["refused"] == 0
    assert impact["responses_out"] == 9  # 5 creates, get, patch, list, schedule: every answer holding a batch
    assert impact["first_response_out"]["reason"] == "response 201: `data.labels` now required"


def test_operations_new_removes_and_several_files(recording: Path, diff: Diff, tmp_path: Path) -> None:
    new = variant(
        tmp_path, "new.json", {"op": "remove", "path": "/paths/~1batch-calls~1{batch_call_id}/delete"}
    )
    code, report = diff(SPEC, new, recording, recording)
    assert code == 1 and len(report["traffic"]) == 2
    assert all(
        t["removed"] == 1 and t["first_removed"]["operation"] == "DELETE /batch-calls/{batch_call_id}"
        for t in report["traffic"]
    )


def test_the_console_and_markdown_show_the_headline(
    recording: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = variant(
        tmp_path,
        "new.json",
        {"op": "add", "path": "/components/schemas/BatchCallCreateRequest/required/-", "value": "timezone"},
    )
    report = tmp_path / "report.md"
    assert main(["diff", str(SPEC), str(new), "--traffic", str(recording), "--report", str(report)]) == 1
    out = capsys.readouterr().out
    assert "TRAFFIC\n  " in out and "3 of 16 requests would be refused by NEW" in out
    markdown = report.read_text()
    assert "## Recorded traffic replayed against NEW" in markdown
    assert "- `timezone` now required: 3" in markdown


def test_an_unreadable_har_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.har"
    bad.write_text("{}", encoding="utf-8")
    assert main(["diff", str(SPEC), str(SPEC), "--traffic", str(bad)]) == 2
    assert capsys.readouterr().err == f"batchcalls-contract: {bad} is not a HAR file: it has no log.entries\n"
